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
import type { EffectiveSettingDto, PreviewResponse } from '../../shared/api';
import { settingKeys, type PartialSettings, type SettingKey, type SyncSettings } from '../../shared/settings';
import { describeError, fieldProblems, problemFor, type FieldProblem } from '../api/describe-error';
import { previewSettingsChange } from '../api/preview-settings';
import { messages } from '../messages';
import { useApp, useServices } from '../state/context';
import { changedSettings, riskyChanges } from './settings/risky-changes';
import { previewConsequences, SaveSettingsDialog } from './settings/SaveSettingsDialog';
import { formatSetting, SettingControl } from './settings/SettingControl';

const useStyles = makeStyles({
  root: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM },
  list: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalL, margin: 0, padding: 0 },
  item: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalXXS, listStyleType: 'none' },
  meta: { display: 'flex', gap: tokens.spacingHorizontalS, alignItems: 'center', flexWrap: 'wrap' },
  actions: { display: 'flex', gap: tokens.spacingHorizontalS, alignItems: 'center' },
  fieldError: { color: tokens.colorPaletteRedForeground1 },
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
  /** The preview the confirmation shows (null: the server could not preview; the risks are named instead). */
  const [confirming, setConfirming] = useState<{ preview: PreviewResponse | null } | null>(null);
  const [checking, setChecking] = useState(false);
  const [problems, setProblems] = useState<FieldProblem[]>([]);

  const changes = useMemo(() => (data ? changedSettings(data.settings, draft) : {}), [data, draft]);
  const dirty = Object.keys(changes).length > 0 || clear.length > 0;

  if (!data) return <Spinner size="tiny" label={messages.loading} />;
  const details = new Map<SettingKey, EffectiveSettingDto>(data.details.map((d) => [d.key, d]));

  async function save() {
    if (!data) return;
    setBusy(true);
    setError(null);
    setProblems([]);
    try {
      const r = await api('updateSettings', { body: { set: changes, clear } });
      store.getState().setSettings(r);
      setDraft({});
      setClear([]);
      setConfirming(null);
      store.getState().notify({ intent: 'success', text: m.saved });
      void store
        .getState()
        .refreshStatus()
        .catch(() => undefined);
    } catch (err) {
      showError(err);
    } finally {
      setBusy(false);
    }
  }

  function showError(err: unknown) {
    const named = fieldProblems(err);
    setProblems(named);
    setConfirming(null);
    setError(describeError(err));
    // Focus the first field the server named: that is where the user goes next.
    const first = named[0]?.field.replace(/^set\./, '');
    if (first) window.setTimeout(() => document.getElementById(`setting-${first}`)?.focus(), 0);
  }

  /**
   * Changes that can delete or e-mail are previewed first; the question is only asked when the preview finds
   * something to delete or someone to e-mail.
   */
  async function onSave() {
    if (!data || !dirty) return;
    // The last action's "Settings saved." would contradict what this one says.
    store.getState().notify(null);
    setError(null);
    setProblems([]);
    if (riskyChanges(data.settings, changes).length === 0) return void save();
    setChecking(true);
    try {
      const preview = await previewSettingsChange(api, changes);
      const c = previewConsequences(preview);
      if (c.deletes === 0 && c.invitations === 0) await save();
      else setConfirming({ preview });
    } catch (err) {
      if (fieldProblems(err).length > 0) showError(err);
      else setConfirming({ preview: null });
    } finally {
      setChecking(false);
    }
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
          const problem = problemFor(problems, `set.${key}`);
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
                  errorId={problem ? `${id}-error` : undefined}
                  settingKey={key}
                  value={value}
                  onChange={(v) => {
                    setDraft({ ...draft, [key]: v });
                    setClear(clear.filter((k) => k !== key));
                  }}
                />
              )}
              {problem && (
                <Text id={`${id}-error`} size={200} className={s.fieldError}>
                  {problem}
                </Text>
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
        <Button appearance="primary" disabled={!dirty || busy || checking} onClick={() => void onSave()}>
          {m.save}
        </Button>
        {(busy || checking) && <Spinner size="tiny" label={checking ? m.checking : m.saving} />}
      </div>
      {confirming && (
        <SaveSettingsDialog
          preview={confirming.preview}
          risks={riskyChanges(data.settings, changes)}
          busy={busy}
          onConfirm={() => void save()}
          onCancel={() => setConfirming(null)}
        />
      )}
    </div>
  );
}
