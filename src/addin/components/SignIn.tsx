/** Sign-in: one button for Entra (NAA, dialog or popup, chosen by the account manager), an e-mail form in dev mode. */
import { useState, type FormEvent } from 'react';
import {
  Button,
  Checkbox,
  Field,
  Input,
  makeStyles,
  MessageBar,
  MessageBarBody,
  Spinner,
  Text,
  Title3,
  tokens,
} from '@fluentui/react-components';
import { SignInError } from '../auth';
import { messages } from '../messages';
import { useServices } from '../state/context';

const useStyles = makeStyles({
  root: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM },
});

export function SignIn({ onSignedIn }: { onSignedIn(): void }) {
  const s = useStyles();
  const { auth, office } = useServices();
  const m = messages.signIn;
  const dev = auth.strategy.name === 'dev';
  const [email, setEmail] = useState(office.mailboxUser()?.email ?? '');
  const [admin, setAdmin] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await auth.signIn(dev ? { email, admin } : undefined);
      onSignedIn();
    } catch (err) {
      setError(
        err instanceof SignInError && err.code === 'cancelled'
          ? m.cancelled
          : err instanceof SignInError && err.code === 'popup-blocked'
            ? m.popupBlocked
            : m.failed(err instanceof Error ? err.message : String(err)),
      );
    } finally {
      setBusy(false);
    }
  }

  if (auth.strategy.name === 'unconfigured') {
    return (
      <MessageBar intent="error" role="alert">
        <MessageBarBody>{m.notConfigured}</MessageBarBody>
      </MessageBar>
    );
  }

  return (
    <form className={s.root} onSubmit={(e) => void submit(e)} aria-label={m.title} noValidate>
      <Title3 as="h2">{dev ? m.devTitle : m.title}</Title3>
      <Text>{dev ? m.devIntro : m.intro}</Text>
      {dev && (
        <Field label={m.email} required>
          <Input type="email" value={email} autoComplete="email" onChange={(_e, d) => setEmail(d.value)} />
        </Field>
      )}
      {dev && <Checkbox label={m.devAdmin} checked={admin} onChange={(_e, d) => setAdmin(Boolean(d.checked))} />}
      {error && (
        <MessageBar intent="error" role="alert">
          <MessageBarBody>{error}</MessageBarBody>
        </MessageBar>
      )}
      <div>
        <Button type="submit" appearance="primary" disabled={busy || (dev && !email.trim())}>
          {m.button}
        </Button>
        {busy && <Spinner size="tiny" label={m.signingIn} />}
      </div>
    </form>
  );
}
