/**
 * Every provider the connector offers. The server lists descriptors from here and opens providers by id.
 * Each provider package adds its connector to one of the two lists.
 */
import { caldavConnector } from './calendar/caldav/connector';
import { googleConnector } from './calendar/google/connector';
import type { CalendarConnector, CrmConnector } from './connector';
import { graphConnector } from './calendar/graph';
import { dynamicsConnector } from './crm/dynamics/connector';
import { hubspotConnector } from './crm/hubspot/connector';
import { pipedriveConnector } from './crm/pipedrive/connector';
import { zohoConnector } from './crm/zoho/connector';
import { salesforceConnector } from './crm/salesforce/connector';
import { suiteCrmConnector } from './crm/suitecrm/connector';

export const calendarConnectors: readonly CalendarConnector[] = [graphConnector, caldavConnector, googleConnector];

/**
 * Remote CRMs. The built-in Sandbox CRM is not listed here because it needs the server's database: the server
 * adds `createSandboxConnector(kyselySandboxRepositories(db.kysely))` (src/providers/crm/sandbox) in front.
 */
export const crmConnectors: readonly CrmConnector[] = [
  suiteCrmConnector,
  salesforceConnector,
  dynamicsConnector,
  hubspotConnector,
  pipedriveConnector,
  zohoConnector,
];

export function findCalendarConnector(id: string): CalendarConnector | undefined {
  return calendarConnectors.find((c) => c.descriptor.id === id);
}

export function findCrmConnector(id: string): CrmConnector | undefined {
  return crmConnectors.find((c) => c.descriptor.id === id);
}
