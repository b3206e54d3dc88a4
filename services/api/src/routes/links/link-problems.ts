import type { LinkRefusal } from '@memberships/core/contract';
import { HttpProblem } from '../../errors';

/**
 * Why an emailed link did not work, in words for the person who clicked it
 * (the links routes show these as a page to a browser): what happened and
 * what to do instead. Never more than that: a refused token learns nothing
 * about the export or the account it names.
 */

/** What a link was for: its wording on the problem page. */
export type LinkKind = 'download' | 'pause';

const ELSEWHERE: Readonly<Record<LinkKind, string>> = {
  download: 'You can still download the export after signing in, in the app or with `memberships exports download <id>`.',
  pause: 'You can still pause the monthly export after signing in, in the app or with `memberships schedule pause <id>`.',
};

export type LinkProblemReason = LinkRefusal | 'revoked';

const PROBLEMS: Readonly<Record<LinkProblemReason, { status: number; code: string; title: string; detail: string }>> = {
  malformed: {
    status: 400,
    code: 'link_invalid',
    title: 'This link is not valid',
    detail: 'The link is incomplete or was changed. Open it again from the email, or copy all of it.',
  },
  signature: {
    status: 403,
    code: 'link_invalid',
    title: 'This link is not valid',
    detail: 'The link was changed, or it is not one of ours. Open it again from the email.',
  },
  other_link: {
    status: 403,
    code: 'link_not_for_this_resource',
    title: 'This link is for something else',
    detail: 'The link was made for another export, subscription or account than the one in the address.',
  },
  expired: {
    status: 410,
    code: 'link_expired',
    title: 'This link has expired',
    detail: 'Emailed links work for a limited time only (a download link as long as the file is kept).',
  },
  revoked: {
    status: 403,
    code: 'link_revoked',
    title: 'This link was turned off',
    detail: "The account's owner revoked this link, or turned download links in emails off.",
  },
};

export class LinkRefusedProblem extends HttpProblem {
  constructor(
    readonly reason: LinkProblemReason,
    kind: LinkKind,
  ) {
    const problem = PROBLEMS[reason];
    super(problem.status, problem.code, problem.title, `${problem.detail} ${ELSEWHERE[kind]}`, {
      extensions: { reason },
    });
  }
}
