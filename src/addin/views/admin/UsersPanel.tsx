/** Users with their connection and sync health (SPEC §8), and the profile each one has. */
import { useCallback } from 'react';
import { Badge, Card, Field, makeStyles, Select, Spinner, Text, tokens } from '@fluentui/react-components';
import type { AdminUser } from '../../../shared/api';
import { describeError } from '../../api/describe-error';
import { messages } from '../../messages';
import { useServices } from '../../state/context';
import { useLoad } from './use-load';

const useStyles = makeStyles({
  list: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM, margin: 0, padding: 0 },
  card: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalXS },
});

const healthColor = { ok: 'success', warning: 'warning', error: 'danger', idle: 'informative' } as const;

export function UsersPanel() {
  const s = useStyles();
  const { api, store } = useServices();
  const m = messages.admin;
  const load = useCallback(() => Promise.all([api('adminListUsers'), api('adminListProfiles')]), [api]);
  const { data, error, reload } = useLoad(load);

  async function assign(user: AdminUser, profileId: string) {
    try {
      await api('adminAssignProfile', { params: { userId: user.id }, body: { profileId: profileId || null } });
      store.getState().notify({ intent: 'success', text: m.assigned });
      reload();
      void store
        .getState()
        .refreshSettings()
        .catch(() => undefined);
    } catch (err) {
      store.getState().notify({ intent: 'error', text: describeError(err) });
    }
  }

  if (error) return <Text role="alert">{error}</Text>;
  if (!data) return <Spinner size="tiny" label={messages.loading} />;
  const [{ users }, { profiles }] = data;
  if (users.length === 0) return <Text>{m.noUsers}</Text>;
  return (
    <ul className={s.list} role="list">
      {users.map((u) => (
        <li key={u.id} style={{ listStyleType: 'none' }}>
          <Card className={s.card}>
            <Text weight="semibold">
              {u.displayName ? `${u.displayName} <${u.email}>` : u.email}{' '}
              <Badge appearance="tint" color={healthColor[u.health]}>
                {m.health[u.health]}
              </Badge>
            </Text>
            {u.connections.map((c) => (
              <Text size={200} key={c.side}>
                {messages.sides[c.side]}: {c.provider} · {c.status}
                {c.tokenExpiresAt ? ` · ${m.tokenExpires(messages.time.relative(c.tokenExpiresAt))}` : ''}
                {c.lastError ? ` · ${c.lastError}` : ''}
              </Text>
            ))}
            <Text size={200}>
              {u.lastRun
                ? m.lastRun(
                    messages.run.status[u.lastRun.status] ?? u.lastRun.status,
                    messages.time.relative(u.lastRun.startedAt),
                  )
                : m.noRun}
            </Text>
            {u.lastErrors.map((e, i) => (
              <Text size={200} key={i}>
                {e}
              </Text>
            ))}
            <Field label={m.assignProfile(u.email)}>
              <Select value={u.profile?.id ?? ''} onChange={(_e, d) => void assign(u, d.value)}>
                <option value="">{m.noProfile}</option>
                {profiles.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name}
                  </option>
                ))}
              </Select>
            </Field>
          </Card>
        </li>
      ))}
    </ul>
  );
}
