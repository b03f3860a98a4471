/**
 * This item: the open email or event, the CRM record(s) linked to it, the Sync-to-calendar toggle, a conflict
 * banner when the last run resolved one, and the item's trail. Follows the selection when the pane is pinned.
 */
import { useCallback, useEffect, useState } from 'react';
import {
  makeStyles,
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
  Spinner,
  Text,
  tokens,
} from '@fluentui/react-components';
import type { ItemLookupResponse, ItemView } from '../../shared/api';
import { describeError } from '../api/describe-error';
import { Section } from '../components/Section';
import { messages } from '../messages';
import type { CurrentItem } from '../office';
import { useServices } from '../state/context';
import { CrmRecordCard } from './item/CrmRecordCard';
import { lookupFor } from './item/lookup';

const useStyles = makeStyles({
  root: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalL },
  people: { margin: 0, paddingLeft: tokens.spacingHorizontalL },
});

type State =
  | { kind: 'loading' }
  | { kind: 'no-item' }
  | { kind: 'unsaved'; item: CurrentItem }
  | { kind: 'loaded'; item: CurrentItem; records: ItemView[]; lookup: Omit<ItemLookupResponse, 'items'> }
  | { kind: 'error'; item: CurrentItem | null; message: string };

export function ThisItemView() {
  const s = useStyles();
  const { api, office } = useServices();
  const m = messages.item;
  const [state, setState] = useState<State>({ kind: 'loading' });

  const load = useCallback(async () => {
    setState({ kind: 'loading' });
    let item: CurrentItem | null = null;
    try {
      item = await office.readCurrentItem();
      if (!item) return setState({ kind: 'no-item' });
      const query = lookupFor(item);
      if (!query) return setState({ kind: 'unsaved', item });
      const { items, ...lookup } = await api('lookupItems', { query });
      setState({ kind: 'loaded', item, records: items, lookup });
    } catch (err) {
      setState({ kind: 'error', item, message: describeError(err) });
    }
  }, [api, office]);

  useEffect(() => {
    if (!office.inOutlook) return;
    void load();
    return office.onItemChanged(() => void load());
  }, [office, load]);

  if (!office.inOutlook) return <Text>{m.outsideOutlook}</Text>;
  if (state.kind === 'loading') return <Spinner size="tiny" label={m.looking} />;
  if (state.kind === 'no-item') return <Text>{m.noItem}</Text>;

  const item = state.item;
  return (
    <div className={s.root}>
      {item && (
        <Section title={`${m.kind[item.kind]}: ${item.subject || '—'}`}>
          {item.start && (
            <Text size={200}>
              {messages.time.dateTime(item.start)}
              {item.end ? ` – ${messages.time.dateTime(item.end)}` : ''}
            </Text>
          )}
          {item.people.length > 0 && (
            <>
              <Text weight="semibold">{m.contacts}</Text>
              <ul className={s.people}>
                {item.people.map((p) => (
                  <li key={p.email}>
                    <Text size={200}>{messages.item.person(p.name, p.email)}</Text>
                  </li>
                ))}
              </ul>
            </>
          )}
        </Section>
      )}
      {state.kind === 'unsaved' && <Text>{m.notSaved}</Text>}
      {state.kind === 'error' && (
        <MessageBar intent="error">
          <MessageBarBody>{state.message}</MessageBarBody>
        </MessageBar>
      )}
      {state.kind === 'loaded' && state.lookup.match === 'probable' && (
        <MessageBar intent="warning">
          <MessageBarBody>
            <MessageBarTitle>{m.probableTitle}</MessageBarTitle>
            {m.probable(state.lookup.calendarName ?? messages.sides.calendar)}
          </MessageBarBody>
        </MessageBar>
      )}
      {state.kind === 'loaded' && state.records.length === 0 && (
        <Text>
          {state.lookup.match === 'unresolved'
            ? m.unresolved(state.lookup.calendarName ?? messages.sides.calendar)
            : m.notLinked}
        </Text>
      )}
      {state.kind === 'loaded' &&
        state.records.map((r) => (
          <CrmRecordCard
            key={r.crmId}
            record={r}
            onChange={(next) =>
              setState({ ...state, records: state.records.map((x) => (x.crmId === next.crmId ? next : x)) })
            }
          />
        ))}
    </div>
  );
}
