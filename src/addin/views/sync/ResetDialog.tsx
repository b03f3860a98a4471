/** Reset calendar sync: explains what it forgets and what it keeps, then asks Yes. */
import { useState } from 'react';
import { MessageBar, MessageBarBody, Text } from '@fluentui/react-components';
import { describeError } from '../../api/describe-error';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { messages } from '../../messages';
import { useServices } from '../../state/context';

export function ResetDialog({ onClose }: { onClose(): void }) {
  const { api, store } = useServices();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function reset() {
    setBusy(true);
    setError(null);
    try {
      await api('reset', { body: { confirm: true } });
      await store.getState().refreshStatus();
      store.getState().notify({ intent: 'success', text: messages.sync.resetDone });
      onClose();
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  }
  return (
    <ConfirmDialog
      open
      title={messages.sync.resetTitle}
      confirmLabel={messages.sync.resetConfirm}
      focus="cancel"
      busy={busy}
      onConfirm={() => void reset()}
      onCancel={onClose}
    >
      <Text>{messages.sync.resetBody}</Text>
      {error && (
        <MessageBar intent="error">
          <MessageBarBody>{error}</MessageBarBody>
        </MessageBar>
      )}
    </ConfirmDialog>
  );
}
