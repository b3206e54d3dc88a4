/**
 * The evaluator's decision cache for S3 objects: every export writes a new
 * key, so the cache keys an object by its bucket and the policy patterns it
 * matches, not by the whole ARN. These tests hold that to what a simulation
 * of each ARN on its own decides, with the roles infra/terraform synthesizes.
 */
import type { EnvironmentRoles, IamPolicy, ResolvedRole } from '@memberships/infra/dist/role-policies';
import { DEFAULT_EMAIL_DOMAIN } from '../local-aws';
import type { AuthorizationCheck } from './aws-requests';
import { synthesizedEnvironmentRoles } from './index';
import { PolicyEvaluator } from './policy-evaluator';

const WORKER = 'iam/worker-task-role';
const TASK = { servicePrincipal: 'ecs-tasks.amazonaws.com' } as const;
const synthesized = synthesizedEnvironmentRoles(DEFAULT_EMAIL_DOMAIN);
/** The exports bucket in local naming (`local-` is translated to each environment's prefix). */
const BUCKET = 'local-export-files';

const put = (key: string, bucket = BUCKET): AuthorizationCheck[] => [{ action: 's3:PutObject', resource: { kind: 'object', bucket, key } }];

/** What a fresh evaluator, with nothing cached, decides for the check alone. */
function alone(checks: AuthorizationCheck[], environments: readonly EnvironmentRoles[] = synthesized) {
  return new PolicyEvaluator(environments).decide(WORKER, checks, TASK);
}

/** The synthesized roles with the worker's policies replaced by `policy`. */
function withWorkerPolicy(policy: IamPolicy): EnvironmentRoles[] {
  return synthesized.map((environment) => {
    const roles = new Map(environment.roles);
    const role = roles.get(WORKER) as ResolvedRole;
    roles.set(WORKER, { ...role, permissionPolicies: [{ name: 'only', policy }] });
    return { ...environment, roles };
  });
}

describe('PolicyEvaluator, S3 objects', () => {
  it('simulates a PutObject once per bucket and pattern set, not once per key', async () => {
    const evaluator = new PolicyEvaluator(synthesized);
    const keys = ['exports/u1/j1.csv', 'exports/u2/j2.csv.gz', 'exports/u3/j3.xlsx'];
    const decisions = [];
    for (const key of keys) decisions.push(await evaluator.decide(WORKER, put(key), TASK));
    expect(decisions).toEqual(keys.map(() => ({ allowed: true })));
    const afterFirst = evaluator.simulations;
    await evaluator.decide(WORKER, put('exports/u4/j4.jsonl'), TASK);
    expect(evaluator.simulations).toBe(afterFirst);
    for (const key of keys) expect(await alone(put(key))).toEqual({ allowed: true });
  });

  it('decides a key outside the allowed prefix as its own simulation does, and names that key', async () => {
    const narrow = withWorkerPolicy({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['s3:PutObject'], Resource: ['arn:aws:s3:::*-export-files/exports/*'] }],
    });
    const evaluator = new PolicyEvaluator(narrow);
    expect(await evaluator.decide(WORKER, put('exports/a.csv'), TASK)).toEqual({ allowed: true });
    const first = await evaluator.decide(WORKER, put('elsewhere/a.csv'), TASK);
    const second = await evaluator.decide(WORKER, put('elsewhere/b.csv'), TASK);
    expect(first).toEqual(await alone(put('elsewhere/a.csv'), narrow));
    expect(second).toEqual(await alone(put('elsewhere/b.csv'), narrow));
    expect(first.allowed).toBe(false);
    expect(first.reason).toContain('/elsewhere/a.csv');
    expect(second.reason).toContain('/elsewhere/b.csv');
  });

  it('tells a single-character wildcard from any run, as IAM does', async () => {
    const single = withWorkerPolicy({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['s3:PutObject'], Resource: ['arn:aws:s3:::*-export-files/day-?.csv'] }],
    });
    const evaluator = new PolicyEvaluator(single);
    for (const key of ['day-1.csv', 'day-12.csv', 'day-.csv', 'day-2.csv'])
      expect(await evaluator.decide(WORKER, put(key), TASK)).toEqual(await alone(put(key), single));
    expect((await evaluator.decide(WORKER, put('day-3.csv'), TASK)).allowed).toBe(true);
    expect((await evaluator.decide(WORKER, put('day-34.csv'), TASK)).allowed).toBe(false);
  });

  it('keeps whole ARNs for a role whose patterns hold a policy variable', async () => {
    const variable = withWorkerPolicy({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['s3:PutObject'], Resource: ['arn:aws:s3:::*-export-files/${aws:PrincipalTag/team}/*'] }],
    });
    const evaluator = new PolicyEvaluator(variable);
    await evaluator.decide(WORKER, put('a/1.csv'), TASK);
    const afterFirst = evaluator.simulations;
    await evaluator.decide(WORKER, put('a/2.csv'), TASK);
    expect(evaluator.simulations).toBeGreaterThan(afterFirst);
  });

  it('does not share a decision between buckets', async () => {
    const evaluator = new PolicyEvaluator(synthesized);
    expect((await evaluator.decide(WORKER, put('exports/u/j.csv'), TASK)).allowed).toBe(true);
    const other = await evaluator.decide(WORKER, put('exports/u/j.csv', 'local-someone-elses'), TASK);
    expect(other).toEqual(await alone(put('exports/u/j.csv', 'local-someone-elses')));
    expect(other.allowed).toBe(false);
  });
});
