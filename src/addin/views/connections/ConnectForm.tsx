/**
 * Connect one side: provider dropdown, then whatever the chosen auth method needs (nothing, a form, the user's own
 * Microsoft 365 sign-in, or OAuth through the Office dialog), an optional Custom URL, and the server's reason
 * when the test call fails.
 */
import { useRef, useState, type FormEvent } from 'react';
import {
  Button,
  Checkbox,
  Field,
  Input,
  makeStyles,
  MessageBar,
  MessageBarActions,
  MessageBarBody,
  Radio,
  RadioGroup,
  Select,
  Spinner,
  Text,
  tokens,
} from '@fluentui/react-components';
import type { ProviderEntry, Side } from '../../../shared/api';
import { ApiCallError, ApiCancelledError, ApiUnreachableError, InputError } from '../../api/client';
import { formatWait, useElapsedSeconds } from '../../state/use-elapsed';
import { systemClock } from '../../../shared/clock';
import { describeError, fieldProblems, problemFor, type FieldProblem } from '../../api/describe-error';
import { messages } from '../../messages';
import { useServices } from '../../state/context';
import { connectRequestFrom, readDialogAnswer } from './connect-request';

/** After this long without an answer, the connection test says whom it is waiting for and offers to stop. */
const SLOW_AFTER_S = 10;

const useStyles = makeStyles({
  // min-width 0 down to the native select: its intrinsic width is its longest option, wider than the pane.
  form: {
    display: 'flex',
    flexDirection: 'column',
    gap: tokens.spacingVerticalM,
    minWidth: 0,
    '& > *': { minWidth: 0 },
  },
  select: { minWidth: 0, maxWidth: '100%' },
  actions: { display: 'flex', alignItems: 'center', gap: tokens.spacingHorizontalS },
});

export function ConnectForm(props: {
  side: Side;
  providers: ProviderEntry[];
  initialProvider?: string;
  reauthorize?: boolean;
}) {
  const s = useStyles();
  const { api, store, office } = useServices();
  const m = messages.connections;
  const [providerId, setProviderId] = useState(props.initialProvider ?? '');
  const provider = props.providers.find((p) => p.id === providerId) ?? null;
  const [methodId, setMethodId] = useState<string | null>(null);
  const [useCustomUrl, setUseCustomUrl] = useState(false);
  const [url, setUrl] = useState('');
  const [values, setValues] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [problems, setProblems] = useState<FieldProblem[]>([]);
  const setFieldError = (p: FieldProblem | null) => setProblems(p ? [p] : []);
  /** When the connection test started (ms), and how to stop waiting for it. */
  const [startedAt, setStartedAt] = useState<number | null>(null);
  const abort = useRef<AbortController | null>(null);
  const waited = useElapsedSeconds(startedAt);

  const method = provider
    ? (provider.authMethods.find((a) => a.id === methodId) ?? provider.authMethods[0] ?? null)
    : null;
  const urlShown = provider
    ? provider.customUrl === 'required' || (provider.customUrl === 'optional' && useCustomUrl)
    : false;

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!provider || !method) return;
    store.getState().notify(null);
    setError(null);
    setFieldError(null);
    const request = connectRequestFrom(provider, method, urlShown ? url : null, values);
    if ('missing' in request) {
      setFieldError({ field: request.field, message: request.missing });
      focusField(request.field);
      return;
    }
    setBusy(true);
    const controller = new AbortController();
    abort.current = controller;
    try {
      if (method.kind === 'oauth') {
        const start = await api('oauthStart', { params: { side: props.side }, body: request.body });
        const outcome = await office.openDialog(start.authorizeUrl);
        if (outcome.kind === 'closed') throw new Error(m.dialogClosed);
        if (outcome.kind === 'failed') throw new Error(outcome.reason);
        const answer = readDialogAnswer(outcome.message);
        if (!answer.ok) {
          setError(m.failureReasons[answer.reason ?? ''] ?? answer.message);
          return;
        }
      } else {
        setStartedAt(systemClock().getTime());
        await api('connect', { params: { side: props.side }, body: request.body, signal: controller.signal });
      }
      await store.getState().refreshConnections();
      store.getState().notify({ intent: 'success', text: m.connected });
    } catch (err) {
      if (err instanceof ApiCancelledError) {
        setError(m.connectCancelled(serverName));
        if (urlShown) focusField('url');
        return;
      }
      const named = fieldProblems(err);
      setProblems(named);
      if (named[0]) focusField(named[0].field);
      setError(
        err instanceof ApiCallError ||
          err instanceof ApiUnreachableError ||
          err instanceof InputError ||
          !(err instanceof Error)
          ? describeError(err)
          : err.message,
      );
    } finally {
      setBusy(false);
      setStartedAt(null);
      abort.current = null;
    }
  }

  /** Element ids of the inputs, by the request field they fill (errors name the request's fields). */
  const inputId = (field: string) => `connect-${props.side}-${field.replace(/\W/g, '-')}`;
  function focusField(field: string) {
    window.setTimeout(() => document.getElementById(inputId(field))?.focus(), 0);
  }
  const fieldState = (field: string) => {
    const message = problemFor(problems, field);
    return message ? { validationState: 'error' as const, validationMessage: message } : {};
  };

  /** Whom the test is waiting for: the host the user typed, else the provider. */
  const serverName = (() => {
    try {
      if (urlShown && url.trim()) return new URL(url.trim()).host;
    } catch {
      // not a URL yet: the provider's name below
    }
    return provider?.label ?? m.theServer;
  })();
  const slow = busy && startedAt !== null && waited >= SLOW_AFTER_S;

  const hint =
    method?.kind === 'oauth'
      ? m.oauthHint
      : method?.kind === 'none'
        ? m.noneHint
        : method?.kind === 'entra'
          ? m.entraHint
          : null;

  return (
    <form className={s.form} onSubmit={(e) => void submit(e)} aria-label={m.connect} noValidate>
      {!props.reauthorize && (
        <Field label={props.side === 'crm' ? m.crmProviderLabel : m.calendarProviderLabel}>
          <Select
            className={s.select}
            select={{ className: s.select }}
            value={providerId}
            onChange={(_e, d) => {
              setProviderId(d.value);
              setMethodId(null);
              setValues({});
              setError(null);
              setFieldError(null);
            }}
          >
            <option value="">{m.choose}</option>
            {props.providers.map((p) => (
              // Selectable even when unavailable: choosing it shows why (a disabled option says nothing).
              <option key={p.id} value={p.id}>
                {p.available ? p.label : m.unavailableOption(p.label)}
              </option>
            ))}
          </Select>
        </Field>
      )}
      {provider && !provider.available && (
        <MessageBar intent="info">
          <MessageBarBody>{provider.unavailableReason ?? m.unavailableNoReason}</MessageBarBody>
        </MessageBar>
      )}
      {provider && provider.authMethods.length > 1 && (
        <RadioGroup
          value={method?.id}
          onChange={(_e, d) => {
            setMethodId(d.value);
            setFieldError(null);
          }}
          aria-label={m.methodLabel}
        >
          {provider.authMethods.map((a) => (
            <Radio key={a.id} value={a.id} label={a.label} />
          ))}
        </RadioGroup>
      )}
      {provider && provider.customUrl === 'optional' && (
        <Checkbox
          checked={useCustomUrl}
          onChange={(_e, d) => setUseCustomUrl(Boolean(d.checked))}
          label={m.customUrl}
        />
      )}
      {urlShown && (
        <Field
          label={provider?.urlLabel ?? m.customUrlField}
          hint={provider?.customUrl === 'optional' ? m.customUrlHelp : undefined}
          required={provider?.customUrl === 'required'}
          {...fieldState('url')}
        >
          <Input
            id={inputId('url')}
            type="url"
            value={url}
            onChange={(_e, d) => setUrl(d.value)}
            placeholder={provider?.urlPlaceholder ?? 'https://'}
          />
        </Field>
      )}
      {method?.fields.map((f) => (
        <Field
          key={`${method.id}:${f.key}`}
          label={f.label}
          hint={f.help}
          required={f.required}
          {...fieldState(`fields.${f.key}`)}
        >
          {f.kind === 'select' ? (
            <Select
              className={s.select}
              select={{ className: s.select }}
              id={inputId(`fields.${f.key}`)}
              value={values[f.key] ?? ''}
              onChange={(_e, d) => setValues({ ...values, [f.key]: d.value })}
            >
              <option value="">{m.choose}</option>
              {f.options?.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </Select>
          ) : (
            <Input
              id={inputId(`fields.${f.key}`)}
              type={f.kind}
              value={values[f.key] ?? ''}
              placeholder={f.placeholder}
              autoComplete={f.kind === 'password' ? 'off' : undefined}
              onChange={(_e, d) => setValues({ ...values, [f.key]: d.value })}
            />
          )}
        </Field>
      ))}
      {provider?.notes?.map((note) => (
        <Text key={note} size={200}>
          {note}
        </Text>
      ))}
      {hint && <Text size={200}>{hint}</Text>}
      {error && (
        <MessageBar intent="error" role="alert">
          <MessageBarBody>{error}</MessageBarBody>
        </MessageBar>
      )}
      <div className={s.actions}>
        <Button type="submit" appearance="primary" disabled={!provider || !provider.available || busy}>
          {props.reauthorize ? messages.banners.reauthAction : m.connect}
        </Button>
        {busy && <Spinner size="tiny" label={m.connecting} />}
      </div>
      {slow && (
        <MessageBar intent="warning" role="status">
          <MessageBarBody>{m.slowConnect(serverName, formatWait(waited))}</MessageBarBody>
          <MessageBarActions>
            <Button onClick={() => abort.current?.abort()}>{m.stopWaiting}</Button>
          </MessageBarActions>
        </MessageBar>
      )}
    </form>
  );
}
