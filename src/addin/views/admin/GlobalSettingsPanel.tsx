import { useCallback, useState } from 'react';
import { Button, makeStyles, MessageBar, MessageBarBody, Spinner, Text, tokens } from '@fluentui/react-components';
import type { PartialSettings } from '../../../shared/settings';
import { describeError } from '../../api/describe-error';
import { messages } from '../../messages';
import { useServices } from '../../state/context';
import { PartialSettingsEditor } from './PartialSettingsEditor';
import { useLoad } from './use-load';

const useStyles = makeStyles({ root: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM } });

export function GlobalSettingsPanel() {
  const s = useStyles();
  const { api, store } = useServices();
  const m = messages.admin;
  const { data, error } = useLoad(useCallback(() => api('adminGetSettings'), [api]));
  const [draft, setDraft] = useState<PartialSettings | null>(null);
  const [busy, setBusy] = useState(false);
  const [saveError, setSaveError] = useState<string | null>(null);
  const values = draft ?? data?.values ?? null;

  async function save() {
    if (!values) return;
    setBusy(true);
    setSaveError(null);
    try {
      const r = await api('adminPutSettings', { body: { values } });
      setDraft(r.values);
      store.getState().notify({ intent: 'success', text: m.savedGlobal });
      void store
        .getState()
        .refreshSettings()
        .catch(() => undefined);
    } catch (err) {
      setSaveError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  if (error) return <Text role="alert">{error}</Text>;
  if (!values) return <Spinner size="tiny" label={messages.loading} />;
  return (
    <div className={s.root}>
      <Text>{m.globalIntro}</Text>
      <PartialSettingsEditor idPrefix="global" values={values} onChange={(v) => setDraft(v)} />
      {saveError && (
        <MessageBar intent="error">
          <MessageBarBody>{saveError}</MessageBarBody>
        </MessageBar>
      )}
      <Button appearance="primary" disabled={busy} onClick={() => void save()}>
        {m.saveGlobal}
      </Button>
    </div>
  );
}
