/**
 * Opens a page in a dialog and waits for the one message it sends back (sign-in fallback, provider OAuth).
 * In Outlook: the Office dialog API. In a plain browser: a popup window that answers with postMessage.
 * The page on the other side calls `replyToOpener` below.
 */
import { officeGlobal } from './host';

export type DialogOutcome =
  { kind: 'message'; message: string } | { kind: 'closed' } | { kind: 'failed'; reason: string };

/** Office dialog error codes (displayDialogAsync docs): 12006 = the user closed the dialog. */
const DIALOG_CLOSED = 12006;

export function openDialog(url: string, size = { widthPercent: 40, heightPercent: 60 }): Promise<DialogOutcome> {
  const ui = officeGlobal()?.context?.ui;
  if (ui?.displayDialogAsync) return openOfficeDialog(ui, url, size);
  return openPopup(url);
}

function openOfficeDialog(
  ui: Office.UI,
  url: string,
  size: { widthPercent: number; heightPercent: number },
): Promise<DialogOutcome> {
  const events = officeGlobal()?.EventType;
  return new Promise((resolve) => {
    ui.displayDialogAsync(
      new URL(url, window.location.href).href,
      { width: size.widthPercent, height: size.heightPercent, promptBeforeOpen: false },
      (result) => {
        if (String(result.status) !== 'succeeded') {
          resolve({ kind: 'failed', reason: result.error?.message ?? 'dialog' });
          return;
        }
        const dialog = result.value;
        dialog.addEventHandler(
          events?.DialogMessageReceived ?? ('dialogMessageReceived' as unknown as Office.EventType),
          (arg) => {
            const message = 'message' in arg ? String(arg.message) : '';
            dialog.close();
            resolve({ kind: 'message', message });
          },
        );
        dialog.addEventHandler(
          events?.DialogEventReceived ?? ('dialogEventReceived' as unknown as Office.EventType),
          (arg) => {
            const code = 'error' in arg ? Number(arg.error) : 0;
            resolve(code === DIALOG_CLOSED ? { kind: 'closed' } : { kind: 'failed', reason: `dialog error ${code}` });
          },
        );
      },
    );
  });
}

function openPopup(url: string): Promise<DialogOutcome> {
  return new Promise((resolve) => {
    const popup = window.open(url, 'connector-dialog', 'width=520,height=680');
    if (!popup) {
      resolve({ kind: 'failed', reason: 'popup-blocked' });
      return;
    }
    const onMessage = (event: MessageEvent) => {
      if (event.origin !== window.location.origin || event.source !== popup) return;
      cleanup();
      popup.close();
      // The server's callback page posts an object; Office's messageParent carries a string.
      resolve({ kind: 'message', message: typeof event.data === 'string' ? event.data : JSON.stringify(event.data) });
    };
    const timer = window.setInterval(() => {
      if (popup.closed) {
        cleanup();
        resolve({ kind: 'closed' });
      }
    }, 500);
    function cleanup() {
      window.removeEventListener('message', onMessage);
      window.clearInterval(timer);
    }
    window.addEventListener('message', onMessage);
  });
}

/** Inside a dialog page: sends the one answer to whoever opened it. */
export function replyToOpener(message: string): void {
  const ui = officeGlobal()?.context?.ui;
  if (ui?.messageParent) {
    ui.messageParent(message);
    return;
  }
  const opener = window.opener as Window | null;
  opener?.postMessage(message, window.location.origin);
}
