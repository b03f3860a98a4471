/**
 * A question before an action that deletes, resets or e-mails: the buttons name the action ("Disconnect",
 * "Reset sync"), never Yes/No. Cancel stays enabled while the dialog loads or works, so the dialog always holds
 * a focusable control (a dialog without one loses focus to the page behind it). `focus: 'cancel'` starts on
 * Cancel for actions that cannot be undone.
 */
import { useEffect, useRef, type ReactNode } from 'react';
import {
  Button,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
} from '@fluentui/react-components';
import { messages } from '../messages';

export function ConfirmDialog(props: {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  /** The action cannot run yet (loading) or is running. */
  busy?: boolean;
  focus?: 'confirm' | 'cancel';
  onConfirm(): void;
  onCancel(): void;
}) {
  const cancelRef = useRef<HTMLButtonElement>(null);
  const { open, focus } = props;
  useEffect(() => {
    if (!open || focus !== 'cancel') return;
    // After Fluent's own first-element focus (the dialog's effect runs after ours).
    const t = window.setTimeout(() => cancelRef.current?.focus(), 0);
    return () => window.clearTimeout(t);
  }, [open, focus]);
  return (
    <Dialog open={props.open} modalType="alert" onOpenChange={(_e, d) => !d.open && props.onCancel()}>
      <DialogSurface aria-describedby={undefined}>
        <DialogBody>
          <DialogTitle>{props.title}</DialogTitle>
          <DialogContent>{props.children}</DialogContent>
          <DialogActions>
            <Button appearance="primary" disabledFocusable={props.busy} onClick={props.onConfirm}>
              {props.confirmLabel}
            </Button>
            <Button appearance="secondary" ref={cancelRef} onClick={props.onCancel}>
              {messages.cancel}
            </Button>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}
