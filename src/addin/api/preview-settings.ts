/**
 * The preview of a run with proposed settings, for Save settings (SPEC §4: changes that delete or e-mail show the
 * counts first). Needs the server's preview route to accept `{ settings }`; when the route table has no body for
 * it, the pane cannot ask and answers null (the dialog then names the consequences without counts).
 */
import { apiRoutes, type PreviewResponse, type RouteDef } from '../../shared/api';
import type { PartialSettings } from '../../shared/settings';
import type { ApiClient } from './client';

export function canPreviewSettings(): boolean {
  return Boolean((apiRoutes.previewRun as RouteDef).body);
}

export async function previewSettingsChange(
  api: ApiClient,
  settings: PartialSettings,
): Promise<PreviewResponse | null> {
  if (!canPreviewSettings()) return null;
  const call = api as unknown as (
    name: 'previewRun',
    args: { body: { settings: PartialSettings } },
  ) => Promise<PreviewResponse>;
  return call('previewRun', { body: { settings } });
}
