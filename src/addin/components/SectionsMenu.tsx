/**
 * The Sections menu (memory router) and Sign out. Its own chunk: Fluent's menu and positioning code is a tenth
 * of the first download, and nobody opens the menu before the first view is on screen. The shell shows a plain
 * button with the same name until this is loaded, and opens the menu at once if it was pressed meanwhile.
 */
import { useEffect, useRef, useState } from 'react';
import {
  Menu,
  MenuButton,
  MenuDivider,
  MenuItem,
  MenuItemRadio,
  MenuList,
  MenuPopover,
  MenuTrigger,
} from '@fluentui/react-components';
import { messages } from '../messages';
import type { ViewName } from '../state/app-store';

export function SectionsMenu(props: {
  view: ViewName;
  sections: { view: ViewName; title: string }[];
  initiallyOpen: boolean;
  /** The placeholder button had the keyboard focus: this one takes it over. */
  initiallyFocused?: boolean;
  onNavigate(view: ViewName): void;
  onSignOut(): void;
}) {
  const [open, setOpen] = useState(props.initiallyOpen);
  const listRef = useRef<HTMLDivElement>(null);
  // Opened because the placeholder was pressed: put focus on the current section, as a click on the real
  // button would.
  useEffect(() => {
    if (!props.initiallyOpen) return;
    const t = window.setTimeout(() => {
      const items = listRef.current?.querySelectorAll<HTMLElement>('[role="menuitemradio"]');
      const current = [...(items ?? [])].find((i) => i.getAttribute('aria-checked') === 'true');
      (current ?? items?.[0])?.focus();
    }, 0);
    return () => window.clearTimeout(t);
  }, [props.initiallyOpen]);
  return (
    <Menu
      open={open}
      onOpenChange={(_e, d) => setOpen(d.open)}
      positioning="below-end"
      checkedValues={{ view: [props.view] }}
      onCheckedValueChange={(_e, d) => d.checkedItems[0] && props.onNavigate(d.checkedItems[0] as ViewName)}
    >
      <MenuTrigger disableButtonEnhancement>
        <MenuButton appearance="subtle" aria-label={messages.nav.label} autoFocus={props.initiallyFocused}>
          {messages.nav.label}
        </MenuButton>
      </MenuTrigger>
      <MenuPopover>
        <MenuList ref={listRef}>
          {props.sections.map((s) => (
            <MenuItemRadio key={s.view} name="view" value={s.view}>
              {s.title}
            </MenuItemRadio>
          ))}
          <MenuDivider />
          <MenuItem onClick={props.onSignOut}>{messages.signIn.signOut}</MenuItem>
        </MenuList>
      </MenuPopover>
    </Menu>
  );
}
