/** Target calendar (receives CRM items) and source calendars (imported into the CRM); default: the primary one. */
import { useEffect, useState } from 'react';
import {
  Button,
  Checkbox,
  Field,
  makeStyles,
  MessageBar,
  MessageBarActions,
  MessageBarBody,
  Select,
  Spinner,
  Text,
  tokens,
} from '@fluentui/react-components';
import type { CalendarsResponse } from '../../../shared/api';
import { describeError } from '../../api/describe-error';
import { Section } from '../../components/Section';
import { messages } from '../../messages';
import { useServices } from '../../state/context';

const useStyles = makeStyles({
  list: { display: 'flex', flexDirection: 'column' },
  actions: { display: 'flex', gap: tokens.spacingHorizontalS, alignItems: 'center' },
});

export function CalendarPicker() {
  const s = useStyles();
  const { api, store } = useServices();
  const m = messages.connections;
  const [data, setData] = useState<CalendarsResponse | null>(null);
  const [target, setTarget] = useState('');
  const [sources, setSources] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  /** Bumped by "Check again" (an account with no calendars yet): the list is read anew. */
  const [reads, setReads] = useState(0);

  useEffect(() => {
    let live = true;
    api('listCalendars').then(
      (r) => {
        if (!live) return;
        const primary = r.calendars.find((c) => c.isDefault)?.id ?? r.calendars[0]?.id ?? '';
        setData(r);
        setTarget(r.targetCalendarId ?? primary);
        setSources(r.sourceCalendarIds.length ? r.sourceCalendarIds : primary ? [primary] : []);
      },
      (err: unknown) => live && setError(describeError(err)),
    );
    return () => {
      live = false;
    };
  }, [api, reads]);

  async function save() {
    setBusy(true);
    setError(null);
    try {
      const r = await api('chooseCalendars', { body: { targetCalendarId: target, sourceCalendarIds: sources } });
      setData(r);
      store.getState().notify({ intent: 'success', text: m.calendarsSaved });
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  const label = (c: CalendarsResponse['calendars'][number]) =>
    c.isDefault ? m.defaultCalendar(c.name) : c.canWrite ? c.name : m.readOnly(c.name);

  return (
    <Section title={m.calendarsTitle}>
      {!data && !error && <Spinner size="tiny" label={messages.loading} />}
      {data && data.calendars.length === 0 && (
        // An empty account (a new CalDAV user, a server with nothing made yet): say so and what to do, instead of
        // an empty drop-down and a Save button that cannot work.
        <MessageBar intent="warning" role="status">
          <MessageBarBody>{m.noCalendars}</MessageBarBody>
          <MessageBarActions>
            <Button
              onClick={() => {
                // The button stays where it is while the list is read again, and keeps the focus.
                setError(null);
                setReads((n) => n + 1);
              }}
            >
              {m.checkAgain}
            </Button>
          </MessageBarActions>
        </MessageBar>
      )}
      {data && data.calendars.length > 0 && (
        <>
          <Field label={m.targetCalendar}>
            <Select value={target} onChange={(_e, d) => setTarget(d.value)}>
              {data.calendars
                .filter((c) => c.canWrite)
                .map((c) => (
                  <option key={c.id} value={c.id}>
                    {label(c)}
                  </option>
                ))}
            </Select>
          </Field>
          <Text size={200}>{m.separateCalendarTip}</Text>
          <fieldset className={s.list} style={{ border: 'none', padding: 0, margin: 0 }}>
            <legend>
              <Text weight="semibold">{m.sourceCalendars}</Text>
            </legend>
            {data.calendars.map((c) => (
              <Checkbox
                key={c.id}
                label={label(c)}
                checked={sources.includes(c.id)}
                onChange={(_e, d) => setSources(d.checked ? [...sources, c.id] : sources.filter((id) => id !== c.id))}
              />
            ))}
          </fieldset>
          <div className={s.actions}>
            <Button onClick={() => void save()} disabled={busy || !target}>
              {m.saveCalendars}
            </Button>
            {busy && <Spinner size="tiny" />}
          </div>
        </>
      )}
      {error && (
        <MessageBar intent="error">
          <MessageBarBody>{error}</MessageBarBody>
        </MessageBar>
      )}
    </Section>
  );
}
