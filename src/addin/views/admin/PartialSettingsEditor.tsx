/**
 * Edits a partial set of settings (global layer or a profile), grouped the way an admin thinks about them. Per
 * setting: "Set" (and, for profiles, "Lock"), then the value's control, or what applies while it is not set
 * (the built-in default, named).
 */
import { Checkbox, makeStyles, Text, tokens } from '@fluentui/react-components';
import { defaultSettings, type PartialSettings, type SettingKey, type SyncSettings } from '../../../shared/settings';
import { messages } from '../../messages';
import { formatSetting, SettingControl } from '../settings/SettingControl';

const useStyles = makeStyles({
  groups: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalL },
  group: {
    border: `${tokens.strokeWidthThin} solid ${tokens.colorNeutralStroke2}`,
    borderRadius: tokens.borderRadiusMedium,
    margin: 0,
    padding: `${tokens.spacingVerticalS} ${tokens.spacingHorizontalM}`,
    minWidth: 0,
  },
  legend: { padding: `0 ${tokens.spacingHorizontalXS}` },
  list: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM, margin: 0, padding: 0 },
  item: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalXXS, listStyleType: 'none' },
  row: { display: 'flex', gap: tokens.spacingHorizontalS, flexWrap: 'wrap' },
});

/** The settings of SPEC §4 in four groups (every key exactly once). */
export const settingGroups: { title: string; keys: SettingKey[] }[] = [
  { title: messages.admin.groups.schedule, keys: ['automaticSync', 'syncIntervalMinutes'] },
  {
    title: messages.admin.groups.scope,
    keys: ['syncRecords', 'direction', 'activityTypes', 'privateEvents', 'pastWindowDays'],
  },
  { title: messages.admin.groups.people, keys: ['syncInvitees', 'invitations', 'createContacts'] },
  { title: messages.admin.groups.details, keys: ['conflictPolicy', 'taskEventMinutes', 'defaultReminderMinutes'] },
];

export function PartialSettingsEditor(props: {
  idPrefix: string;
  values: PartialSettings;
  locked?: SettingKey[];
  onChange(values: PartialSettings, locked: SettingKey[]): void;
}) {
  const s = useStyles();
  const m = messages.admin;
  const locked = props.locked ?? [];
  return (
    <div className={s.groups}>
      {settingGroups.map((g) => (
        <fieldset key={g.title} className={s.group}>
          <legend className={s.legend}>
            <Text weight="semibold">{g.title}</Text>
          </legend>
          <ul className={s.list} role="list">
            {g.keys.map((key) => {
              const set = props.values[key] !== undefined;
              const label = messages.settings.labels[key];
              return (
                <li key={key} className={s.item}>
                  <Text weight="semibold" size={300}>
                    {label}
                  </Text>
                  <div className={s.row}>
                    <Checkbox
                      label={m.setShort}
                      aria-label={m.setHere(label)}
                      checked={set}
                      onChange={(_e, d) => {
                        const next: Record<string, unknown> = { ...props.values };
                        if (d.checked) next[key] = defaultSettings[key];
                        else delete next[key];
                        props.onChange(next as PartialSettings, locked);
                      }}
                    />
                    {props.locked && (
                      <Checkbox
                        label={m.lockShort}
                        aria-label={m.lock(label)}
                        checked={locked.includes(key)}
                        onChange={(_e, d) =>
                          props.onChange(props.values, d.checked ? [...locked, key] : locked.filter((k) => k !== key))
                        }
                      />
                    )}
                  </div>
                  {set ? (
                    <SettingControl
                      id={`${props.idPrefix}-${key}`}
                      settingKey={key}
                      value={props.values[key] as SyncSettings[typeof key]}
                      onChange={(v) => props.onChange({ ...props.values, [key]: v }, locked)}
                    />
                  ) : (
                    <Text size={200}>
                      {(props.locked ? m.inheritGlobal : m.inherit)(formatSetting(key, defaultSettings[key]))}
                    </Text>
                  )}
                </li>
              );
            })}
          </ul>
        </fieldset>
      ))}
    </div>
  );
}
