/** The layout the sync dialogs share: a column of messages and a scrolling list of items. */
import { makeStyles, tokens } from '@fluentui/react-components';

export const useListDialogStyles = makeStyles({
  content: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalS },
  list: { margin: 0, paddingLeft: tokens.spacingHorizontalL, maxHeight: '40vh', overflowY: 'auto' },
});
