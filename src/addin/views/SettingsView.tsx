/**
 * Sync settings › Calendar (SPEC §4): every setting with its effective value, where it comes from and a lock
 * where the profile locks it. Save settings; changes that can delete items or send mail show the preview first.
 */
import { useMemo, useState } from 'react';
import {
  Badge,
  Button,
  Label,
  Link,
  makeStyles,
  MessageBar,
  MessageBarBody,
  Spinner,
  Tab,
  TabList,
  Text,
  tokens,
} from '@fluentui/react-components';
import type { EffectiveSettingDto } from '../../shared/api';
import { settingKeys, type PartialSettings, type SettingKey, type SyncSettings } from '../../shared/settings';
import { describeError } from '../api/describe-error';
import { messages } from '../messages';
import { useApp, useServices } from '../state/context';
import { changedSettings, riskyChanges } from './settings/risky-changes';
import { SaveSettingsDialog } from './settings/SaveSettingsDialog';
import { formatSetting, SettingControl } from './settings/SettingControl';

const useStyles = makeStyles({
  root: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM },
  list: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalL, margin: 0, padding: 0 },
  item: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalXXS, listStyleType: 'none' },
  meta: { display: 'flex', gap: tokens.spacingHorizontalS, alignItems: 'center', flexWrap: 'wrap' },
  actions: { display: 'flex', gap: tokens.spacingHorizontalS, alignItems: 'center' },
});

/** Shown in this order; automaticSync has its own page (Automatic sync) but is listed too. */
const order: SettingKey[] = settingKeys;

export function SettingsView() {
  const s = useStyles();
  const { api, store } = useServices();
  const m = messages.settings;
  const data = useApp((st) => st.settings);
  const [draft, setDraft] = useState<PartialSettings>({});
  const [clear, setClear] = useState<SettingKey[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);

  const changes = useMemo(() => (data ? changedSettings(data.settings, draft) : {}), [data, draft]);
  const dirty = Object.keys(changes).length > 0 || clear.length > 0;

  if (!data) return <Spinner size="tiny" label={messages.loading} />;
  const details = new Map<SettingKey, EffectiveSettingDto>(data.details.map((d) => [d.key, d]));

  async function save() {
    if (!data) return;
    setBusy(true);
    setError(null);
    try {
      const r = await api('updateSettings', { body: { set: changes, clear } });
      store.getState().setSettings(r);
      setDraft({});
      setClear([]);
      setConfirming(false);
      store.getState().notify({ intent: 'success', text: m.saved });
      void store
        .getState()
        .refreshStatus()
        .catch(() => undefined);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  function onSave() {
    if (!data || !dirty) return;
    if (riskyChanges(data.settings, changes).length > 0) setConfirming(true);
    else void save();
  }

  return (
    <div className={s.root}>
      <TabList selectedValue="calendar" size="small" aria-label={m.title}>
        <Tab value="calendar">{m.calendarTab}</Tab>
      </TabList>
      <ul className={s.list} role="list">
        {order.map((key) => {
          const d = details.get(key);
          const readOnly = Boolean(d?.locked || d?.adminOnly);
          const value = (key in draft ? draft[key] : data.settings[key]) as SyncSettings[typeof key];
          const id = `setting-${key}`;
          return (
            <li key={key} className={s.item}>
              {typeof data.settings[key] !== 'boolean' && <Label htmlFor={id}>{m.labels[key]}</Label>}
              {readOnly ? (
                <Text id={id} aria-label={m.labels[key]}>
                  {typeof data.settings[key] === 'boolean' ? `${m.labels[key]}: ` : ''}
                  {formatSetting(key, data.settings[key])}
                </Text>
              ) : (
                <SettingControl
                  id={id}
                  settingKey={key}
                  value={value}
                  onChange={(v) => {
                    setDraft({ ...draft, [key]: v });
                    setClear(clear.filter((k) => k !== key));
                  }}
                />
              )}
              <div className={s.meta}>
                <Text size={200}>
                  {m.sourceLabel(m.source[clear.includes(key) ? 'profile' : (d?.source ?? 'default')] ?? '')}
                </Text>
                {d?.locked && (
                  <Badge appearance="outline" color="warning" aria-label={m.locked(data.profile?.name ?? null)}>
                    {m.locked(data.profile?.name ?? null)}
                  </Badge>
                )}
                {!d?.locked && d?.adminOnly && <Text size={200}>{m.adminOnly}</Text>}
                {d?.source === 'user' && !readOnly && !clear.includes(key) && (
                  <Link
                    as="button"
                    onClick={() => {
                      setClear([...clear, key]);
                      const { [key]: _dropped, ...rest } = draft;
                      setDraft(rest);
                    }}
                  >
                    {m.reset}
                  </Link>
                )}
              </div>
            </li>
          );
        })}
      </ul>
      {error && (
        <MessageBar intent="error" role="alert">
          <MessageBarBody>{error}</MessageBarBody>
        </MessageBar>
      )}
      <div className={s.actions}>
        <Button appearance="primary" disabled={!dirty || busy} onClick={onSave}>
          {m.save}
        </Button>
        {busy && <Spinner size="tiny" label={m.saving} />}
      </div>
      {confirming && (
        <SaveSettingsDialog
          changes={changes}
          risks={riskyChanges(data.settings, changes)}
          busy={busy}
          onConfirm={() => void save()}
          onCancel={() => setConfirming(false)}
        />
      )}
    </div>
  );
}
