/** Sync profiles: named partial settings plus which of them are locked. */
import { useCallback, useState } from 'react';
import {
  Button,
  Field,
  Input,
  makeStyles,
  MessageBar,
  MessageBarBody,
  Select,
  Spinner,
  Text,
  tokens,
} from '@fluentui/react-components';
import type { Profile } from '../../../shared/api';
import type { PartialSettings, SettingKey } from '../../../shared/settings';
import { describeError, fieldProblems, problemFor } from '../../api/describe-error';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { messages } from '../../messages';
import { useServices } from '../../state/context';
import { PartialSettingsEditor } from './PartialSettingsEditor';
import { useLoad } from './use-load';

const useStyles = makeStyles({
  root: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM },
  actions: { display: 'flex', gap: tokens.spacingHorizontalS, flexWrap: 'wrap' },
});

const NEW = '__new__';

interface Draft {
  name: string;
  values: PartialSettings;
  locked: SettingKey[];
}

const draftOf = (p: Profile | null): Draft =>
  p ? { name: p.name, values: p.values, locked: [...p.locked] } : { name: '', values: {}, locked: [] };

export function ProfilesPanel() {
  const s = useStyles();
  const { api, store } = useServices();
  const m = messages.admin;
  const { data, error, reload } = useLoad(useCallback(() => api('adminListProfiles'), [api]));
  const [selected, setSelected] = useState<string>(NEW);
  const [draft, setDraft] = useState<Draft>(draftOf(null));
  const [busy, setBusy] = useState(false);
  const [saveError, setSaveError] = useState<string | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  /** The name's own error, shown at the field (the rest of the form's errors at the Save button). */
  const [nameError, setNameError] = useState<string | null>(null);

  function select(id: string) {
    setSelected(id);
    setSaveError(null);
    setDraft(draftOf(data?.profiles.find((p) => p.id === id) ?? null));
  }

  async function save() {
    setNameError(null);
    if (!draft.name.trim()) {
      setNameError(messages.fieldErrors.required);
      document.getElementById('profile-name')?.focus();
      return;
    }
    setBusy(true);
    setSaveError(null);
    try {
      const body = { name: draft.name.trim(), values: draft.values, locked: draft.locked };
      const saved =
        selected === NEW
          ? await api('adminCreateProfile', { body })
          : await api('adminUpdateProfile', { params: { profileId: selected }, body });
      setSelected(saved.id);
      setDraft(draftOf(saved));
      reload();
      store.getState().notify({ intent: 'success', text: m.profileSaved });
      void store
        .getState()
        .refreshSettings()
        .catch(() => undefined);
    } catch (err) {
      const onName = problemFor(fieldProblems(err), 'name');
      if (onName) {
        setNameError(onName);
        document.getElementById('profile-name')?.focus();
      } else setSaveError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  async function remove() {
    setBusy(true);
    try {
      await api('adminDeleteProfile', { params: { profileId: selected } });
      setConfirmDelete(false);
      select(NEW);
      reload();
    } catch (err) {
      setSaveError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  if (error) return <Text role="alert">{error}</Text>;
  if (!data) return <Spinner size="tiny" label={messages.loading} />;
  return (
    <div className={s.root}>
      <Field label={m.profilesTab}>
        <Select value={selected} onChange={(_e, d) => select(d.value)}>
          <option value={NEW}>{m.newProfile}</option>
          {data.profiles.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name} ({m.usersInProfile(p.userCount)})
            </option>
          ))}
        </Select>
      </Field>
      <Field
        label={m.profileName}
        required
        {...(nameError ? { validationState: 'error' as const, validationMessage: nameError } : {})}
      >
        <Input id="profile-name" value={draft.name} onChange={(_e, d) => setDraft({ ...draft, name: d.value })} />
      </Field>
      <PartialSettingsEditor
        idPrefix="profile"
        values={draft.values}
        locked={draft.locked}
        onChange={(values, locked) => setDraft({ ...draft, values, locked })}
      />
      {saveError && (
        <MessageBar intent="error">
          <MessageBarBody>{saveError}</MessageBarBody>
        </MessageBar>
      )}
      <div className={s.actions}>
        <Button appearance="primary" disabled={busy} onClick={() => void save()}>
          {selected === NEW ? m.createProfile : m.saveProfile}
        </Button>
        {selected !== NEW && (
          <Button disabled={busy} onClick={() => setConfirmDelete(true)}>
            {m.deleteProfile}
          </Button>
        )}
      </div>
      <ConfirmDialog
        open={confirmDelete}
        title={m.deleteProfileTitle(draft.name)}
        confirmLabel={m.deleteProfile}
        focus="cancel"
        busy={busy}
        onConfirm={() => void remove()}
        onCancel={() => setConfirmDelete(false)}
      >
        {m.deleteProfileBody}
      </ConfirmDialog>
    </div>
  );
}
