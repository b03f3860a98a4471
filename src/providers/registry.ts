/**
 * Every provider the connector offers. The server lists descriptors from here and opens providers by id.
 * Each provider package adds its connector to one of the two lists.
 */
import { caldavConnector } from './calendar/caldav/connector';
import { googleConnector } from './calendar/google/connector';
import type { CalendarConnector, CrmConnector } from './connector';
import { graphConnector } from './calendar/graph';

export const calendarConnectors: readonly CalendarConnector[] = [graphConnector, caldavConnector, googleConnector];

export const crmConnectors: readonly CrmConnector[] = [];

export function findCalendarConnector(id: string): CalendarConnector | undefined {
  return calendarConnectors.find((c) => c.descriptor.id === id);
}

export function findCrmConnector(id: string): CrmConnector | undefined {
  return crmConnectors.find((c) => c.descriptor.id === id);
}
