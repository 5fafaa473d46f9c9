// Converts the SFDX project (salesforce/) to Metadata API format with Salesforce's own
// source-deploy-retrieve library, as `sf project deploy start` does before it uploads.
// Usage: node convert.js PROJECT_DIR OUTPUT_DIR ; prints {"components": [{type, fullName}], "package": "..."}.
'use strict';
const path = require('path');
const fs = require('fs');
const { ComponentSet, MetadataConverter } = require('@salesforce/source-deploy-retrieve');

async function main() {
  const [project, output] = process.argv.slice(2);
  if (!project || !output) throw new Error('usage: node convert.js PROJECT_DIR OUTPUT_DIR');
  const sfdx = JSON.parse(fs.readFileSync(path.join(project, 'sfdx-project.json'), 'utf8'));
  const dirs = sfdx.packageDirectories.map((d) => path.join(project, d.path));
  const set = ComponentSet.fromSource(dirs);
  set.sourceApiVersion = sfdx.sourceApiVersion;
  const components = set.getSourceComponents().toArray().map((c) => ({ type: c.type.name, fullName: c.fullName }));
  await new MetadataConverter().convert(set, 'metadata', { type: 'directory', outputDirectory: output, genUniqueDir: false });
  const pkg = await set.getPackageXml();
  process.stdout.write(JSON.stringify({ components, package: pkg }));
}

main().catch((err) => {
  process.stderr.write(`${err.name}: ${err.message}\n`);
  process.exit(1);
});
