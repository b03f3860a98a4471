/**
 * The preview of a run with proposed settings, for Save settings (SPEC §4: changes that delete or e-mail show the
 * counts first). The server resolves the proposal through the same locks as saving, and stores nothing.
 */
import type { PreviewResponse } from '../../shared/api';
import type { PartialSettings } from '../../shared/settings';
import type { ApiClient } from './client';

export function previewSettingsChange(api: ApiClient, settings: PartialSettings): Promise<PreviewResponse> {
  return api('previewRun', { body: { settings } });
}
