import { useEffect, useState } from 'react';
import { FluentProvider, Spinner, Text, Title2, webLightTheme } from '@fluentui/react-components';
import type { HostInfo } from './office/host';

interface Health {
  status: string;
  version: string;
}

/** The pane's root: shows where it runs and whether the connector's server answers. */
export function App({ host }: { host: HostInfo }) {
  const [health, setHealth] = useState<Health | 'error' | null>(null);
  useEffect(() => {
    fetch('/healthz')
      .then((r) => (r.ok ? (r.json() as Promise<Health>) : Promise.reject(new Error(String(r.status)))))
      .then(setHealth, () => setHealth('error'));
  }, []);
  return (
    <FluentProvider theme={webLightTheme} style={{ padding: 16, minHeight: '100vh' }}>
      <Title2 as="h1">CRM Calendar Connector</Title2>
      <p>
        <Text>{host.host ? `Running in ${host.host}` : 'Running outside Outlook'}</Text>
      </p>
      {health === null && <Spinner size="tiny" label="Contacting the connector…" />}
      {health === 'error' && <Text role="alert">The connector's server does not answer.</Text>}
      {health && health !== 'error' && (
        <Text>
          Connector {health.version}: {health.status}
        </Text>
      )}
    </FluentProvider>
  );
}
