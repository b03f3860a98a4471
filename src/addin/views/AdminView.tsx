/** Admin (SPEC §8), loaded on demand: global settings, sync profiles, assignment, users' health, audit log. */
import { useState } from 'react';
import { makeStyles, Tab, TabList, Text, tokens } from '@fluentui/react-components';
import { messages } from '../messages';
import { useApp } from '../state/context';
import { AuditPanel } from './admin/AuditPanel';
import { GlobalSettingsPanel } from './admin/GlobalSettingsPanel';
import { ProfilesPanel } from './admin/ProfilesPanel';
import { UsersPanel } from './admin/UsersPanel';

const useStyles = makeStyles({
  root: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM, minWidth: 0 },
  // Four tabs are wider than a 350 px pane: they wrap onto a second row instead of scrolling sideways.
  tabs: { flexWrap: 'wrap' },
});

type AdminTab = 'global' | 'profiles' | 'users' | 'audit';

export function AdminView() {
  const s = useStyles();
  const m = messages.admin;
  const isAdmin = useApp((st) => st.me?.isAdmin ?? false);
  const [tab, setTab] = useState<AdminTab>('global');
  if (!isAdmin) return <Text>{m.notAdmin}</Text>;
  return (
    <div className={s.root}>
      <TabList
        selectedValue={tab}
        onTabSelect={(_e, d) => setTab(d.value as AdminTab)}
        size="small"
        className={s.tabs}
        aria-label={m.title}
      >
        <Tab value="global">{m.globalTab}</Tab>
        <Tab value="profiles">{m.profilesTab}</Tab>
        <Tab value="users">{m.usersTab}</Tab>
        <Tab value="audit">{m.auditTab}</Tab>
      </TabList>
      <div role="tabpanel" aria-label={m[`${tab}Tab`]}>
        {tab === 'global' && <GlobalSettingsPanel />}
        {tab === 'profiles' && <ProfilesPanel />}
        {tab === 'users' && <UsersPanel />}
        {tab === 'audit' && <AuditPanel />}
      </div>
    </div>
  );
}
