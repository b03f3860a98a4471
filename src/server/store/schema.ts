/** Table types for Kysely. One interface per table; migrations in ./migrations create them. */
export interface ConnectorMetaTable {
  key: string;
  value: string;
}

export interface DatabaseSchema {
  connector_meta: ConnectorMetaTable;
}
