/** Before saving changes that can delete or e-mail: what the next run would do with them, then Save anyway. */
import { useEffect, useState } from 'react';
import { MessageBar, MessageBarBody, Spinner, Text } from '@fluentui/react-components';
import type { PreviewResponse } from '../../../shared/api';
import type { PartialSettings } from '../../../shared/settings';
import { describeError } from '../../api/describe-error';
import { previewSettingsChange } from '../../api/preview-settings';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { messages } from '../../messages';
import { useServices } from '../../state/context';
import type { Risk } from './risky-changes';

export function SaveSettingsDialog(props: {
  changes: PartialSettings;
  risks: Risk[];
  busy: boolean;
  onConfirm(): void;
  onCancel(): void;
}) {
  const { api } = useServices();
  const m = messages.settings;
  const [preview, setPreview] = useState<PreviewResponse | null | 'loading'>('loading');
  const [error, setError] = useState<string | null>(null);
  const { changes } = props;
  useEffect(() => {
    previewSettingsChange(api, changes).then(setPreview, (err: unknown) => {
      setPreview(null);
      setError(describeError(err));
    });
  }, [api, changes]);

  const r = preview && preview !== 'loading' ? preview.report : null;
  return (
    <ConfirmDialog
      open
      title={m.previewTitle}
      confirmLabel={m.previewConfirm}
      busy={props.busy || preview === 'loading'}
      onConfirm={props.onConfirm}
      onCancel={props.onCancel}
    >
      {preview === 'loading' && <Spinner size="tiny" label={messages.loading} />}
      {r && (
        <>
          <Text block>{m.previewBody}</Text>
          <ul>
            <li>{m.previewDeletes(messages.sides.calendar, r.calendar.deleted)}</li>
            <li>{m.previewDeletes(messages.sides.crm, r.crm.deleted + r.crm.archived)}</li>
            <li>{m.previewInvitations(r.invitationsSent)}</li>
          </ul>
        </>
      )}
      {preview === null && (
        <ul>
          {props.risks.map((risk) => (
            <li key={risk}>{risk === 'deletes' ? m.riskDeletes : m.riskEmails}</li>
          ))}
        </ul>
      )}
      {error && (
        <MessageBar intent="error">
          <MessageBarBody>{error}</MessageBarBody>
        </MessageBar>
      )}
    </ConfirmDialog>
  );
}
