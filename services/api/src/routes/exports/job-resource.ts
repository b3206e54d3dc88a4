// The job's public shape lives in core (jobs/job-resource.ts): the worker's completion events carry it too.
export { EXPORTS_PATH, exportPath, hasFile, toJobResource, type ExportJobResource } from '@memberships/core/contract';
