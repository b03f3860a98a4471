/** Preview (dry run): what a run would create / update / delete on each side and how many invitations it sends. */
import { useEffect, useState } from 'react';
import {
  Button,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  MessageBar,
  MessageBarBody,
  Spinner,
  Text,
} from '@fluentui/react-components';
import type { PreviewResponse } from '../../../shared/api';
import { describeError } from '../../api/describe-error';
import { messages } from '../../messages';
import { useServices } from '../../state/context';
import { useListDialogStyles as useStyles } from './dialog-styles';

/** How many planned actions the dialog lists (the counts cover all of them). */
const SHOWN = 50;

export function PreviewDialog({ onClose }: { onClose(): void }) {
  const s = useStyles();
  const { api } = useServices();
  const m = messages.sync;
  const [data, setData] = useState<PreviewResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api('previewRun', { body: {} }).then(setData, (err: unknown) => setError(describeError(err)));
  }, [api]);

  const r = data?.report;
  const nothing =
    r &&
    [r.crm, r.calendar].every((c) => c.created + c.updated + c.deleted + c.archived === 0) &&
    r.invitationsSent === 0;
  return (
    <Dialog open onOpenChange={(_e, d) => !d.open && onClose()}>
      <DialogSurface>
        <DialogBody>
          <DialogTitle>{m.previewTitle}</DialogTitle>
          <DialogContent className={s.content}>
            {!data && !error && <Spinner size="tiny" label={messages.loading} />}
            {error && (
              <MessageBar intent="error">
                <MessageBarBody>{error}</MessageBarBody>
              </MessageBar>
            )}
            {r && nothing && <Text>{m.previewEmpty}</Text>}
            {r && !nothing && (
              <>
                <Text>{messages.run.counts(messages.sides.crm, r.crm)}</Text>
                <Text>{messages.run.counts('Calendar', r.calendar)}</Text>
                <Text>{m.previewInvitations(r.invitationsSent)}</Text>
                <ul className={s.list} aria-label={m.previewTitle}>
                  {data.actions.slice(0, SHOWN).map((a, i) => (
                    <li key={i}>
                      <Text size={200}>
                        {messages.run.errorSide[a.side]} · {a.op}
                        {a.subject ? ` “${a.subject}”` : ''}: {a.reason}
                      </Text>
                    </li>
                  ))}
                </ul>
              </>
            )}
          </DialogContent>
          <DialogActions>
            <Button appearance="primary" onClick={onClose}>
              {messages.close}
            </Button>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}
