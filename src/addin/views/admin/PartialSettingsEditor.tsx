/** Edits a partial set of settings (global layer or a profile): per setting "Set" and, for profiles, "Lock". */
import { Checkbox, makeStyles, Text, tokens } from '@fluentui/react-components';
import {
  defaultSettings,
  settingKeys,
  type PartialSettings,
  type SettingKey,
  type SyncSettings,
} from '../../../shared/settings';
import { messages } from '../../messages';
import { SettingControl } from '../settings/SettingControl';

const useStyles = makeStyles({
  list: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM, margin: 0, padding: 0 },
  item: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalXXS, listStyleType: 'none' },
  row: { display: 'flex', gap: tokens.spacingHorizontalS, flexWrap: 'wrap' },
});

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
    <ul className={s.list} role="list">
      {settingKeys.map((key) => {
        const set = props.values[key] !== undefined;
        const label = messages.settings.labels[key];
        return (
          <li key={key} className={s.item}>
            <div className={s.row}>
              <Checkbox
                label={m.setHere(label)}
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
                  label={m.lock(label)}
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
              <Text size={200}>{m.inherit}</Text>
            )}
          </li>
        );
      })}
    </ul>
  );
}
