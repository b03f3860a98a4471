/** The input for one setting of SPEC §4 (used by the user's settings and the admin's global/profile forms). */
import { Checkbox, Input, Select, makeStyles } from '@fluentui/react-components';
import type { SettingKey, SyncSettings } from '../../../shared/settings';
import { messages } from '../../messages';

const useStyles = makeStyles({
  group: { display: 'flex', flexDirection: 'column', border: 'none', margin: 0, padding: 0 },
  number: { maxWidth: '8rem' },
  // Named for screen readers; the visible label sits above the group.
  visuallyHidden: {
    position: 'absolute',
    width: '1px',
    height: '1px',
    overflow: 'hidden',
    clip: 'rect(0 0 0 0)',
    whiteSpace: 'nowrap',
  },
});

const o = messages.settings.options;
const reminderValues: (number | null)[] = [null, 0, 5, 15, 30, 60, 1440];

function selectOptions(key: SettingKey): { value: string; label: string }[] | null {
  const table: Partial<Record<SettingKey, Record<string, string>>> = {
    syncRecords: o.syncRecords,
    direction: o.direction,
    invitations: o.invitations,
    conflictPolicy: o.conflictPolicy,
    privateEvents: o.privateEvents,
  };
  const t = table[key];
  return t ? Object.entries(t).map(([value, label]) => ({ value, label })) : null;
}

/** Human form of a value, for read-only display (locked settings, admin summaries). */
export function formatSetting<K extends SettingKey>(key: K, value: SyncSettings[K]): string {
  if (typeof value === 'boolean') return value ? messages.settings.on : messages.settings.off;
  if (key === 'defaultReminderMinutes') return o.reminder(value as number | null);
  if (key === 'activityTypes') {
    return (value as string[]).map((t) => o.activityTypes[t as keyof typeof o.activityTypes] ?? t).join(', ');
  }
  const opts = selectOptions(key);
  return opts?.find((x) => x.value === value)?.label ?? String(value);
}

export function SettingControl<K extends SettingKey>(props: {
  settingKey: K;
  value: SyncSettings[K];
  disabled?: boolean;
  /** Element id (the settings view points its visible label at it); the control also carries the setting's name. */
  id: string;
  /** Id of the element holding this setting's error, when the last save named it. */
  errorId?: string;
  onChange(value: SyncSettings[K]): void;
}) {
  const s = useStyles();
  const { settingKey: key, value, disabled } = props;
  const change = (v: unknown) => props.onChange(v as SyncSettings[K]);
  const label = messages.settings.labels[key];
  const invalid = props.errorId ? { 'aria-invalid': true, 'aria-describedby': props.errorId } : {};

  if (typeof value === 'boolean') {
    return (
      <Checkbox
        id={props.id}
        label={label}
        checked={value}
        disabled={disabled}
        onChange={(_e, d) => change(Boolean(d.checked))}
      />
    );
  }
  if (key === 'activityTypes') {
    const list = value as string[];
    return (
      <fieldset className={s.group} id={props.id} disabled={disabled}>
        <legend className={s.visuallyHidden}>{label}</legend>
        {Object.entries(o.activityTypes).map(([t, l]) => (
          <Checkbox
            key={t}
            label={l}
            checked={list.includes(t)}
            disabled={disabled}
            onChange={(_e, d) => change(d.checked ? [...list, t] : list.filter((x) => x !== t))}
          />
        ))}
      </fieldset>
    );
  }
  if (key === 'defaultReminderMinutes') {
    return (
      <Select
        id={props.id}
        aria-label={label}
        {...invalid}
        value={value === null ? 'none' : String(value)}
        disabled={disabled}
        onChange={(_e, d) => change(d.value === 'none' ? null : Number(d.value))}
      >
        {reminderValues.map((r) => (
          <option key={String(r)} value={r === null ? 'none' : String(r)}>
            {o.reminder(r)}
          </option>
        ))}
      </Select>
    );
  }
  const opts = selectOptions(key);
  if (opts) {
    return (
      <Select
        id={props.id}
        aria-label={label}
        {...invalid}
        value={String(value)}
        disabled={disabled}
        onChange={(_e, d) => change(d.value)}
      >
        {opts.map((x) => (
          <option key={x.value} value={x.value}>
            {x.label}
          </option>
        ))}
      </Select>
    );
  }
  return (
    <Input
      id={props.id}
      aria-label={label}
      {...invalid}
      className={s.number}
      type="number"
      inputMode="numeric"
      value={String(value)}
      disabled={disabled}
      onChange={(_e, d) => change(d.value === '' ? 0 : Number(d.value))}
    />
  );
}
