/**
 * Run duplicate cleanup: first the groups found and which copy each keeps; on Yes the extra copies go;
 * the result offers Undo (the server keeps snapshots for 7 days).
 */
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
import type { CleanupGroup, CleanupRecordDto } from '../../../shared/api';
import { describeError } from '../../api/describe-error';
import { messages } from '../../messages';
import { useServices } from '../../state/context';
import { useListDialogStyles as useStyles } from './dialog-styles';

type Copy = CleanupGroup['keep'];
/** Side, subject and the end of its id: copies of one item share side and subject, the id tells them apart. */
const describeCopy = (c: Copy) =>
  `${messages.run.errorSide[c.side]} “${c.subject || messages.sync.untitled}” (${messages.sync.copyId(c.id.slice(-8))})`;

export function CleanupDialog({ onClose }: { onClose(): void }) {
  const s = useStyles();
  const { api, store } = useServices();
  const m = messages.sync;
  const [groups, setGroups] = useState<CleanupGroup[] | null>(null);
  const [done, setDone] = useState<CleanupRecordDto | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    api('cleanupPreview').then(
      (r) => setGroups(r.groups),
      (err: unknown) => setError(describeError(err)),
    );
  }, [api]);

  async function apply() {
    setBusy(true);
    setError(null);
    try {
      setDone(await api('cleanupApply', { body: { confirm: true } }));
      void store
        .getState()
        .refreshStatus()
        .catch(() => undefined);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  async function undo() {
    if (!done) return;
    setBusy(true);
    setError(null);
    try {
      setDone(await api('cleanupUndo', { params: { cleanupId: done.id } }));
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  const removals = groups?.reduce((n, g) => n + g.remove.length, 0) ?? 0;
  return (
    <Dialog open modalType="alert" onOpenChange={(_e, d) => !d.open && onClose()}>
      <DialogSurface>
        <DialogBody>
          <DialogTitle>{m.cleanupTitle}</DialogTitle>
          <DialogContent className={s.content}>
            {!groups && !error && <Spinner size="tiny" label={m.cleanupSearching} />}
            {groups && groups.length === 0 && <Text>{m.cleanupNone}</Text>}
            {groups && groups.length > 0 && !done && (
              <>
                <Text>{m.cleanupIntro(groups.length, removals)}</Text>
                <ul className={s.list}>
                  {groups.map((g, i) => (
                    <li key={i}>
                      <Text size={200} weight="semibold">
                        {m.cleanupKinds[g.kind] ?? g.kind}
                      </Text>
                      <br />
                      <Text size={200}>{m.cleanupKeep(describeCopy(g.keep))}</Text>
                      {g.remove.map((c) => (
                        <div key={`${c.side}:${c.id}`}>
                          <Text size={200}>{m.cleanupRemove(describeCopy(c))}</Text>
                        </div>
                      ))}
                      {g.merged.length > 0 && <Text size={200}>{m.cleanupMerged(g.merged.join(', '))}</Text>}
                    </li>
                  ))}
                </ul>
                <Text weight="semibold">{m.cleanupConfirm}</Text>
              </>
            )}
            {done && !done.undoneAt && <Text role="status">{m.cleanupDone(done.removals.length)}</Text>}
            {done?.undoneAt && <Text role="status">{m.cleanupUndone}</Text>}
            {error && (
              <MessageBar intent="error">
                <MessageBarBody>{error}</MessageBarBody>
              </MessageBar>
            )}
          </DialogContent>
          <DialogActions>
            {groups && groups.length > 0 && !done && (
              <Button appearance="primary" disabled={busy} onClick={() => void apply()}>
                {m.cleanupApply(removals)}
              </Button>
            )}
            {done && !done.undoneAt && done.removals.length > 0 && (
              <Button disabled={busy} onClick={() => void undo()}>
                {m.cleanupUndo}
              </Button>
            )}
            <Button
              appearance={done || groups?.length === 0 ? 'primary' : 'secondary'}
              disabled={busy}
              onClick={onClose}
            >
              {done || groups?.length === 0 ? messages.close : messages.cancel}
            </Button>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}
