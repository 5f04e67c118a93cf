import { execFile } from 'node:child_process';
import path from 'node:path';

/**
 * The binding reaches the SDK through its global carrier. This pins what that carrier holds against the SDK's public
 * API, so a release that moves any of it fails here loudly (also in every cell of the compatibility matrix).
 */
const ROOT = process.env.SRU_FIXTURE_ROOT ? path.resolve(process.env.SRU_FIXTURE_ROOT) : path.resolve(__dirname, '../..');

function probe(): Promise<{ version: string; checks: Record<string, boolean> }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [path.join(ROOT, 'test/fixtures/sdk-contract-probe.cjs')], { cwd: ROOT, timeout: 30000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`contract probe failed: ${error.message} ${stderr}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '{}'));
    });
  });
}

describe('the SDK contract the binding relies on', () => {
  let result: { version: string; checks: Record<string, boolean> };
  beforeAll(async () => {
    result = await probe();
  });

  it.each([
    'beforeInitNothingFound',
    'found',
    'isolationScopeIsSentryGetIsolationScope',
    'currentScopeIsSentryGetCurrentScope',
    'clientIsSentryGetClient',
    'defaultScopeIsGetDefaultIsolationScope',
    'globalScopeIsGetGlobalScope',
    'withIsolationScopeForksWhatSentrySees',
    'scopeDataHasProcessingMetadata',
    'processingMetadataFieldHoldsTheRequest',
    'segmentSpanKeepsItsIsolationScope',
    'clientHasHooks',
  ])('%s', (name) => {
    expect({ sdk: result.version, [name]: result.checks[name] }).toEqual({ sdk: result.version, [name]: true });
  });
});
