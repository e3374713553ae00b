export { JobElection, type ElectionTiming, type ElectionState, type ElectionAction, type ClaimVerdict } from './election.ts'
export { rankPeers, rendezvousScore, outranks, successorOf } from './rendezvous.ts'
export { ElectionError } from './errors.ts'
