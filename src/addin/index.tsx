import { createRoot } from 'react-dom/client';
import { App } from './App';
import { whenOfficeReady } from './office/host';

void whenOfficeReady().then((host) => {
  const root = document.getElementById('root');
  if (root) createRoot(root).render(<App host={host} />);
});
