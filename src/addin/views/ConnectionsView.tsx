/** Connections › CRM / Calendar (SPEC §3): pick a provider, connect, see the badge, disconnect, pick calendars. */
import { useState } from 'react';
import { makeStyles, Tab, TabList, tokens } from '@fluentui/react-components';
import type { Side } from '../../shared/api';
import { messages } from '../messages';
import { ConnectionPanel } from './connections/ConnectionPanel';

const useStyles = makeStyles({
  root: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM },
});

export function ConnectionsView() {
  const s = useStyles();
  const [side, setSide] = useState<Side>('crm');
  return (
    <div className={s.root}>
      <TabList
        selectedValue={side}
        onTabSelect={(_e, d) => setSide(d.value as Side)}
        aria-label={messages.connections.title}
        size="small"
      >
        <Tab value="crm" id="tab-crm" aria-controls="panel-connection">
          {messages.connections.crmTab}
        </Tab>
        <Tab value="calendar" id="tab-calendar" aria-controls="panel-connection">
          {messages.connections.calendarTab}
        </Tab>
      </TabList>
      <div role="tabpanel" id="panel-connection" aria-labelledby={`tab-${side}`}>
        <ConnectionPanel key={side} side={side} />
      </div>
    </div>
  );
}
