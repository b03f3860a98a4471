/**
 * Every sentence the pane shows, in one place so it can be translated. Functions take the variable parts;
 * components never build user-visible text themselves.
 */
import type { SettingKey } from '../shared/settings';
import { systemClock } from '../shared/clock';

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export const messages = {
  appName: 'CRM Calendar Connector',
  loading: 'Loading…',
  retry: 'Try again',
  cancel: 'Cancel',
  yes: 'Yes',
  no: 'No',
  close: 'Close',
  save: 'Save',
  never: 'never',
  unknownError: 'Something went wrong. Try again in a moment.',
  serverUnreachable: "The connector's server does not answer. Check your network and try again.",
  rateLimited: 'Too many requests in a short time. Wait a minute and try again.',

  fieldErrors: {
    checkFields: 'Check the marked fields.',
    required: 'This field is required.',
    max: (n: string) => `Enter a number no larger than ${n}.`,
    below: (n: string) => `Enter a number below ${n}.`,
    min: (n: string) => `Enter a number of at least ${n}.`,
    above: (n: string) => `Enter a number above ${n}.`,
    minLength: (n: string) => `Enter at least ${n} characters.`,
    maxLength: (n: string) => `Enter at most ${n} characters.`,
    url: 'Enter a full address, starting with https://',
    email: 'Enter an e-mail address such as name@example.com.',
    number: 'Enter a number.',
    wholeNumber: 'Enter a whole number.',
    option: 'Choose one of the options.',
  },

  nav: {
    label: 'Sections',
    connections: 'Connections',
    automaticSync: 'Automatic sync',
    settings: 'Sync settings',
    item: 'This item',
    history: 'History',
    admin: 'Admin',
  },

  signIn: {
    title: 'Sign in',
    intro: 'Sign in with your work account to connect your CRM and your calendar.',
    button: 'Sign in',
    signingIn: 'Signing in…',
    devTitle: 'Development sign-in',
    devIntro: 'This server runs in development mode: sign in with any e-mail address.',
    email: 'E-mail address',
    devAdmin: 'Sign in as an admin',
    notConfigured: 'This connector has no sign-in configured yet. Ask your admin to finish its set-up.',
    failed: (why: string) => `Sign-in failed: ${why}`,
    cancelled: 'Sign-in was cancelled.',
    popupBlocked: 'The sign-in window was blocked. Allow pop-ups for this site and try again.',
    signedInAs: (who: string) => `Signed in as ${who}`,
    signOut: 'Sign out',
    dialogDone: 'You can close this window.',
  },

  banners: {
    reauthTitle: 'Authorization expired',
    reauth: (side: string, message: string) => `Your ${side} connection needs to be authorized again. ${message}`,
    reauthAction: 'Re-authorize',
    pausedTitle: 'Automatic sync is paused',
    massDeletionTitle: 'Deletions waiting for your confirmation',
    massDeletion: (crm: number, calendar: number, reason: string) =>
      `The last run stopped before deleting ${plural(crm, 'CRM item', 'CRM items')} and ${plural(calendar, 'event', 'events')}: ${reason}`,
    massDeletionConfirm: 'Delete them',
    massDeletionDismiss: 'Keep everything',
    expiringTitle: 'Authorization expires soon',
    expiring: (side: string, when: string) =>
      `Your ${side} authorization expires ${when}. Re-authorize to keep syncing.`,
  },

  sides: { crm: 'CRM', calendar: 'calendar' } as Record<'crm' | 'calendar', string>,

  connections: {
    title: 'Connections',
    crmTab: 'CRM',
    calendarTab: 'Calendar',
    crmProviderLabel: 'CRM system',
    calendarProviderLabel: 'Calendar server',
    choose: 'Choose a provider',
    connect: 'Connect',
    connecting: 'Testing the connection…',
    /** The connection test has had no answer for a while (issue 17: it used to spin for 60 s without a word). */
    slowConnect: (host: string, waited: string) =>
      `Still waiting for ${host}… it has not answered for ${waited}. The test gives up after 30 s; you can stop waiting now.`,
    stopWaiting: 'Stop waiting',
    connectCancelled: (host: string) =>
      `Stopped waiting for ${host}. Check the address, or try again when the server answers.`,
    theServer: 'the server',
    noCalendars:
      'This calendar account has no calendars yet. Create one in your calendar app (for example “CRM items”), then check again.',
    checkAgain: 'Check again',
    connected: 'Connected',
    needsReauth: 'Needs re-authorization',
    error: 'Error',
    account: (a: string) => `Account: ${a}`,
    url: (u: string) => `Server: ${u}`,
    connectedAt: (when: string) => `Connected ${when}`,
    customUrl: 'Custom URL',
    customUrlHelp: 'Only for self-hosted or regional systems. If you are unsure, leave it blank.',
    customUrlField: 'Custom URL',
    urlRequired: 'This provider needs the address of your server.',
    fieldRequired: (label: string) => `${label} is required.`,
    oauthHint: 'A window opens where you sign in to the provider and grant access.',
    noneHint: 'Nothing to enter: the Sandbox CRM lives in the connector itself.',
    entraHint: 'Uses the Microsoft 365 account you are signed in with.',
    methodLabel: 'How to connect',
    unavailableOption: (label: string) => `${label} (not available)`,
    unavailableNoReason: 'This provider is not available on this server. Ask your admin.',
    disconnect: 'Disconnect',
    disconnectTitle: (provider: string) => `Disconnect ${provider}?`,
    disconnectBody: (side: string) =>
      `This removes the stored ${side} credentials and turns automatic sync off. Events already synced stay in your calendar as plain copies.`,
    disconnected: (revoked: boolean) =>
      revoked ? 'Disconnected; the provider revoked the access.' : 'Disconnected; the stored credentials were deleted.',
    dialogClosed: 'The sign-in window was closed before the connection finished.',
    failureReasons: {
      'bad-url': 'The address is wrong.',
      unreachable: 'The server could not be reached. Check the address and your network.',
      tls: 'The server’s security certificate was not accepted.',
      unauthorized: 'The provider refused these credentials.',
      'missing-permission': 'The account lacks a permission the connector needs.',
      'blocked-url': 'This address is not allowed (private or local network). Ask your admin.',
      invalid: 'Some details are not valid.',
      other: 'The connection test failed.',
    } as Record<string, string>,
    calendarsTitle: 'Calendars',
    targetCalendar: 'Target calendar (receives CRM items)',
    sourceCalendars: 'Source calendars (imported into the CRM)',
    separateCalendarTip: 'Tip: a separate calendar for CRM items keeps them apart from your own events.',
    saveCalendars: 'Save calendars',
    calendarsSaved: 'Calendars saved.',
    defaultCalendar: (name: string) => `${name} (default)`,
    readOnly: (name: string) => `${name} (read-only)`,
  },

  sync: {
    title: 'Automatic sync',
    enable: 'Enable automatic calendar sync',
    enabledHint: (minutes: number) =>
      `Runs every ${plural(minutes, 'minute', 'minutes')}, also when Outlook is closed.`,
    needsConnections: 'Connect your CRM and your calendar first.',
    syncNow: 'Sync calendar now',
    moreActions: 'More sync actions',
    preview: 'Preview',
    cleanup: 'Run duplicate cleanup',
    reset: 'Reset calendar sync',
    lastSync: (when: string) => `Last sync: ${when}`,
    nextSync: (when: string) => `Next sync: ${when}`,
    neverSynced: 'Not synced yet.',
    running: 'Sync in progress…',
    /** A run that has been going for a while (issue 17: "Sync in progress" showed for 3 minutes without a word). */
    slowRun: (waited: string) =>
      `Still syncing: this run started ${waited} ago. A calendar or CRM server that does not answer holds it until the connector gives up on it (at most 5 minutes a request); the run then ends by itself and History says why. You can close the pane: the run goes on.`,
    queued: (n: number) => `${plural(n, 'run', 'runs')} waiting`,
    started: 'Sync started.',
    previewTitle: 'Preview: what a run would do',
    previewEmpty: 'A run now would change nothing.',
    previewInvitations: (n: number) => `It would send ${plural(n, 'invitation or update', 'invitations or updates')}.`,
    cleanupTitle: 'Duplicate cleanup',
    cleanupSearching: 'Looking for duplicates…',
    cleanupNone: 'No duplicates found.',
    cleanupIntro: (groups: number, removals: number) =>
      `Found ${plural(groups, 'group', 'groups')} of duplicates. Cleanup keeps one copy of each and removes ${plural(removals, 'extra copy', 'extra copies')}. You can undo it for 7 days.`,
    cleanupKeep: (label: string) => `Keeps ${label}`,
    cleanupRemove: (label: string) => `Removes ${label}`,
    cleanupMerged: (what: string) => `First moves onto the kept copy: ${what}`,
    cleanupKinds: {
      'tagged-events': 'Several events for one CRM item',
      'ical-activities': 'Several CRM activities for one meeting',
      fingerprint: 'Same subject and time',
    } as Record<string, string>,
    cleanupConfirm: 'Remove the extra copies?',
    cleanupApply: (n: number) => `Remove ${plural(n, 'copy', 'copies')}`,
    untitled: 'untitled',
    copyId: (tail: string) => `id …${tail}`,
    cleanupDone: (n: number) => `Removed ${plural(n, 'copy', 'copies')}.`,
    cleanupUndo: 'Undo cleanup',
    cleanupUndone: 'Cleanup undone: the removed copies are back.',
    resetTitle: 'Reset calendar sync?',
    resetConfirm: 'Reset sync',
    resetBody:
      'The connector forgets what it paired (links, sync positions, conflicts). Every event and every CRM item stays. The next run pairs them again without duplicates and without sending mail.',
    resetDone: 'Sync state reset. The next run pairs your items again.',
    resultTitle: 'Result of the last run',
  },

  run: {
    status: {
      queued: 'Queued',
      running: 'Running',
      succeeded: 'Succeeded',
      partial: 'Finished with errors',
      failed: 'Failed',
      'needs-confirmation': 'Waiting for confirmation',
      'needs-reauth': 'Needs re-authorization',
      preview: 'Preview',
      interrupted: 'Interrupted (runs again)',
    } as Record<string, string>,
    trigger: {
      manual: 'Sync now',
      schedule: 'Automatic',
      notification: 'Calendar change',
      webhook: 'CRM change',
      cli: 'Command line',
      retry: 'Retry',
    } as Record<string, string>,
    counts: (side: string, c: { created: number; updated: number; deleted: number; archived: number }) =>
      `${side}: ${c.created} created, ${c.updated} updated, ${c.deleted} deleted, ${c.archived} archived`,
    conflicts: (n: number) => plural(n, 'conflict', 'conflicts'),
    skipped: (n: number) => `${n} skipped`,
    invitations: (n: number) => plural(n, 'invitation sent', 'invitations sent'),
    errors: (n: number) => plural(n, 'error', 'errors'),
    errorSide: { crm: 'CRM', calendar: 'Calendar', connector: 'Connector' } as Record<string, string>,
  },

  history: {
    title: 'History',
    empty: 'No runs yet.',
    retry: 'Retry',
    retried: 'A new run was started.',
    details: 'Details',
    conflictLine: (field: string, winner: string, policy: string) =>
      `${field}: both sides changed; kept the ${winner} value (${policy}).`,
    loadMore: 'Show more',
    /** A trail line names its item: “Quarterly review”: created in the calendar. */
    trailLine: (subject: string, reason: string) => `“${subject || '(no title)'}”: ${reason}`,
    /** Who started a cleanup, an undo or a reset: always the user (pane, API or their admin's command line). */
    byYou: 'By you',
    action: {
      cleanup: (n: number) => `Removed ${plural(n, 'duplicate copy', 'duplicate copies')}.`,
      'cleanup-undo': (n: number) => `Undid the duplicate cleanup: restored ${plural(n, 'copy', 'copies')}.`,
      reset: () =>
        'Reset the sync: the links between CRM items and events were forgotten; the next run pairs them again without duplicates or mail.',
    },
  },

  settings: {
    title: 'Sync settings',
    calendarTab: 'Calendar',
    save: 'Save settings',
    saving: 'Saving…',
    checking: 'Checking what the change would do…',
    saved: 'Settings saved.',
    noChanges: 'Nothing changed.',
    source: { default: 'default', global: 'organisation', profile: 'your profile', user: 'you' } as Record<
      string,
      string
    >,
    sourceLabel: (source: string) => `Set by ${source}`,
    locked: (profile: string | null) => (profile ? `Locked by the profile “${profile}”` : 'Locked by your admin'),
    adminOnly: 'Only your admin can change this',
    reset: 'Use inherited value',
    inheritedAfterSave: 'Inherited value after you save',
    previewTitle: 'These changes have consequences',
    previewBody: 'With the new settings the next run would:',
    previewDeletes: (side: string, n: number) => `delete ${plural(n, 'item', 'items')} in the ${side}`,
    previewInvitations: (n: number) => `send ${plural(n, 'invitation or update', 'invitations or updates')}`,
    previewConfirm: 'Save anyway',
    riskDeletes: 'Items that no longer fall within the sync scope will have their calendar events deleted.',
    riskEmails: 'Attendees will receive invitations and updates by e-mail.',
    labels: {
      automaticSync: 'Automatic sync',
      syncIntervalMinutes: 'Sync interval (minutes)',
      syncRecords: 'Sync records',
      direction: 'Sync direction',
      syncInvitees: 'Sync invitees',
      invitations: 'Email invitations / updates',
      conflictPolicy: 'When both sides changed',
      pastWindowDays: 'Days back to sync',
      privateEvents: 'Private events',
      activityTypes: 'Activity types pushed to the calendar',
      taskEventMinutes: 'Task event length (minutes)',
      defaultReminderMinutes: 'Default reminder',
      createContacts: 'Create CRM contacts for unknown attendees',
    } satisfies Record<SettingKey, string>,
    options: {
      syncRecords: { related: 'Related records only (with invitees)', all: 'All records' },
      direction: {
        'two-way': 'Two-way',
        'crm-to-calendar': 'One way: CRM to calendar',
        'calendar-to-crm': 'One way: calendar to CRM',
      },
      invitations: { never: 'Never', always: 'Always', 'after-first-sync': 'After first sync' },
      conflictPolicy: {
        'crm-wins': 'CRM wins',
        'most-recent-wins': 'Most recent change wins',
        'calendar-wins': 'Calendar wins',
      },
      privateEvents: { skip: 'Skip', private: 'Sync as private', busy: 'Sync as busy block without details' },
      activityTypes: { meeting: 'Meetings', call: 'Calls', 'follow-up': 'Follow-ups', task: 'Tasks (with due date)' },
      reminder: (m: number | null) =>
        m === null ? 'None' : m === 0 ? 'At start' : m === 1440 ? '1 day before' : `${m} minutes before`,
    },
    on: 'On',
    off: 'Off',
  },

  item: {
    title: 'This item',
    outsideOutlook: 'Open the pane from an email or a calendar event in Outlook to see its CRM record.',
    noItem: 'No item is selected.',
    looking: 'Looking up the CRM record…',
    notLinked: 'This item is not linked to a CRM record yet.',
    /** The calendar connection cannot resolve an Outlook item (Google, CalDAV): matched by what Outlook shows. */
    probableTitle: 'Probable match',
    probable: (calendar: string) =>
      `Found by organiser, start time and subject: your calendar is connected through ${calendar}, which cannot look up an Outlook item exactly. Check that this is the right record.`,
    unresolved: (calendar: string) =>
      `Your calendar is connected through ${calendar}, which cannot look up an Outlook item by its id, and no synced CRM record has this item's organiser, start time and subject.`,
    notSaved: 'Save the item first: unsaved items cannot be looked up.',
    record: 'CRM record',
    openInCrm: 'Open in CRM',
    contacts: 'People on this item',
    matchedPeople: 'Matched in the CRM',
    personLine: (name: string | null, email: string, kind: string, company: string | null) =>
      `${name && name.trim().toLowerCase() !== email.toLowerCase() ? `${name} (${email})` : email}: ${kind}${company ? ` at ${company}` : ''}`,
    syncToggle: 'Sync to calendar',
    cannotSync: (why: string) => `This item cannot sync: ${why}`,
    lastSynced: (when: string) => `Last synced ${when}`,
    conflictTitle: 'Conflict resolved in the last run',
    conflictLine: (field: string, winner: string) =>
      `${field} was changed on both sides; the ${winner} value was kept.`,
    trail: 'What happened to it',
    trailEmpty: 'No sync activity for this item yet.',
    kind: { message: 'Email', appointment: 'Calendar event' } as Record<string, string>,
    /** One record's type (the settings list them in the plural). */
    types: { meeting: 'Meeting', call: 'Call', 'follow-up': 'Follow-up', task: 'Task' } as Record<string, string>,
    /** A person on the item: the name and the address, or the address once when the name is just the address. */
    person: (name: string | null, email: string) =>
      !name || name.trim().toLowerCase() === email.toLowerCase() ? email : `${name} <${email}>`,
  },

  admin: {
    title: 'Admin',
    notAdmin: 'Only admins can see this section.',
    globalTab: 'Global settings',
    profilesTab: 'Sync profiles',
    usersTab: 'Users',
    auditTab: 'Audit log',
    globalIntro: 'Global settings apply to everyone unless a profile or the user changes them.',
    inherit: (value: string) => `Not set: the default applies (${value})`,
    inheritGlobal: (value: string) => `Not set: the global setting applies (default ${value})`,
    setShort: 'Set',
    lockShort: 'Lock',
    groups: {
      schedule: 'When to sync',
      scope: 'What to sync',
      people: 'Attendees and e-mail',
      details: 'Conflicts and details',
    },
    saveGlobal: 'Save global settings',
    savedGlobal: 'Global settings saved.',
    newProfile: 'New profile',
    profileName: 'Profile name',
    createProfile: 'Create profile',
    saveProfile: 'Save profile',
    profileSaved: 'Profile saved.',
    deleteProfile: 'Delete profile',
    deleteProfileTitle: (name: string) => `Delete the profile “${name}”?`,
    deleteProfileBody: 'Its users fall back to the global settings. Their own changes stay.',
    lock: (label: string) => `Lock ${label}`,
    setHere: (label: string) => `Set ${label}`,
    usersInProfile: (n: number) => plural(n, 'user', 'users'),
    noProfiles: 'No profiles yet.',
    assignProfile: (email: string) => `Profile for ${email}`,
    noProfile: 'No profile',
    assigned: 'Profile assigned.',
    health: { ok: 'Healthy', warning: 'Warning', error: 'Error', idle: 'Not syncing' } as Record<string, string>,
    lastRun: (status: string, when: string) => `Last run ${when}: ${status}`,
    noRun: 'No run yet',
    tokenExpires: (when: string) => `token expires ${when}`,
    noUsers: 'No users yet.',
    auditEmpty: 'No admin changes yet.',
    auditLine: (actor: string, what: string) => `${actor} ${what}`,
    audit: {
      cli: 'The command line',
      notSet: 'not set',
      change: (label: string, before: string, after: string) => `${label}: ${before} → ${after}`,
      locked: (label: string) => `${label}: locked`,
      unlocked: (label: string) => `${label}: unlocked`,
      renamed: (before: string, after: string) => `Name: ${before} → ${after}`,
      globalUpdated: 'changed the global settings',
      profileCreated: (name: string) => `created the profile “${name}”`,
      profileUpdated: (name: string) => `changed the profile “${name}”`,
      profileDeleted: (name: string) => `deleted the profile “${name}”`,
      assigned: (profile: string, user: string) => `gave ${user} the profile “${profile}”`,
      unassigned: (user: string) => `took ${user} out of their profile`,
    },
  },

  time: {
    relative: (iso: string, now = systemClock().getTime()) => {
      const t = Date.parse(iso);
      if (Number.isNaN(t)) return iso;
      const diff = Math.round((t - now) / 60000);
      const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
      if (Math.abs(diff) < 60) return rtf.format(diff, 'minute');
      if (Math.abs(diff) < 48 * 60) return rtf.format(Math.round(diff / 60), 'hour');
      return rtf.format(Math.round(diff / 1440), 'day');
    },
    dateTime: (iso: string) => {
      const t = Date.parse(iso);
      return Number.isNaN(t) ? iso : new Date(t).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
    },
  },
};

export type Messages = typeof messages;
