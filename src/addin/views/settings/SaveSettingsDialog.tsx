/**
 * Before saving changes that can delete or e-mail: what the next run would do with them, then Save anyway.
 * The preview is fetched before the dialog opens (SettingsView): a change whose preview deletes nothing and
 * sends nothing is saved without asking.
 */
import { Text } from '@fluentui/react-components';
import type { PreviewResponse } from '../../../shared/api';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { messages } from '../../messages';
import type { Risk } from './risky-changes';

/** What the preview says the change would do that needs the user's yes. */
export function previewConsequences(preview: PreviewResponse): { deletes: number; invitations: number } {
  const r = preview.report;
  return { deletes: r.calendar.deleted + r.crm.deleted + r.crm.archived, invitations: r.invitationsSent };
}

export function SaveSettingsDialog(props: {
  /** Null when the server could not preview: the dialog then names the risks without counts. */
  preview: PreviewResponse | null;
  risks: Risk[];
  busy: boolean;
  onConfirm(): void;
  onCancel(): void;
}) {
  const m = messages.settings;
  const r = props.preview?.report ?? null;
  return (
    <ConfirmDialog
      open
      title={m.previewTitle}
      confirmLabel={m.previewConfirm}
      busy={props.busy}
      onConfirm={props.onConfirm}
      onCancel={props.onCancel}
    >
      {r ? (
        <>
          <Text block>{m.previewBody}</Text>
          <ul>
            {r.calendar.deleted > 0 && <li>{m.previewDeletes(messages.sides.calendar, r.calendar.deleted)}</li>}
            {r.crm.deleted + r.crm.archived > 0 && (
              <li>{m.previewDeletes(messages.sides.crm, r.crm.deleted + r.crm.archived)}</li>
            )}
            {r.invitationsSent > 0 && <li>{m.previewInvitations(r.invitationsSent)}</li>}
          </ul>
        </>
      ) : (
        <ul>
          {props.risks.map((risk) => (
            <li key={risk}>{risk === 'deletes' ? m.riskDeletes : m.riskEmails}</li>
          ))}
        </ul>
      )}
    </ConfirmDialog>
  );
}
