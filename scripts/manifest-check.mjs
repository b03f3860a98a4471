// Reads manifest.xml (and the built one) with office-addin-manifest, the way Office tooling reads it, and checks
// what neither the XSD nor Outlook's loader would tell us early: the manifest version follows package.json, and the
// icon and support URLs it resolves are https.
import { readFileSync, existsSync } from 'node:fs';
import { OfficeAddinManifest } from 'office-addin-manifest';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const files = ['manifest.xml', 'dist/addin/manifest.xml'].filter((f) =>
  existsSync(new URL(`../${f}`, import.meta.url)),
);
let failed = false;
for (const file of files) {
  const info = await OfficeAddinManifest.readManifestFile(new URL(`../${file}`, import.meta.url).pathname);
  const problems = [];
  if (info.officeAppType !== 'MailApp') problems.push(`type is ${info.officeAppType}, expected MailApp`);
  if (info.version !== `${pkg.version}.0`)
    problems.push(`version ${info.version} does not follow package.json ${pkg.version}`);
  for (const [name, url] of Object.entries({
    iconUrl: info.iconUrl,
    highResolutionIconUrl: info.highResolutionIconUrl,
    supportUrl: info.supportUrl,
  })) {
    if (!url?.startsWith('https://')) problems.push(`${name} is not https: ${url}`);
  }
  if (problems.length) {
    failed = true;
    for (const p of problems) console.error(`${file}: ${p}`);
  } else {
    console.log(`${file}: ${info.displayName} ${info.version} (${info.officeAppType}) ok`);
  }
}
process.exit(failed ? 1 : 0);
