/**
 * Every provider of ./registry.ts by id, loaded on first use: a run opens its two providers and loads nothing of
 * the other seven (vendor clients, OAuth, XML parsers), which is most of a CLI command's start-up (issue 23).
 * The ids and their order are those of ./registry.ts (test/providers/loaders.test.ts holds them to it).
 */
import type { CalendarConnector, CrmConnector } from './connector';

export interface ConnectorLoaders {
  calendar: Readonly<Record<string, () => Promise<CalendarConnector>>>;
  crm: Readonly<Record<string, () => Promise<CrmConnector>>>;
}

export const connectorLoaders: ConnectorLoaders = {
  calendar: {
    'microsoft-graph': async () => (await import('./calendar/graph/connector.js')).graphConnector,
    caldav: async () => (await import('./calendar/caldav/connector.js')).caldavConnector,
    google: async () => (await import('./calendar/google/connector.js')).googleConnector,
  },
  crm: {
    suitecrm: async () => (await import('./crm/suitecrm/connector.js')).suiteCrmConnector,
    salesforce: async () => (await import('./crm/salesforce/connector.js')).salesforceConnector,
    dynamics365: async () => (await import('./crm/dynamics/connector.js')).dynamicsConnector,
    hubspot: async () => (await import('./crm/hubspot/connector.js')).hubspotConnector,
    pipedrive: async () => (await import('./crm/pipedrive/connector.js')).pipedriveConnector,
    zoho: async () => (await import('./crm/zoho/connector.js')).zohoConnector,
  },
};
