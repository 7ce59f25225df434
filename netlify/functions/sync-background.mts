// Background sync (15 min): runs a queued journal; a crash or retry resumes where it stopped.
import { apiDeps } from '../../src/api/index.ts';
import { runBackgroundRequest } from '../../src/api/background-door.ts';

export default async (request: Request): Promise<Response> => runBackgroundRequest(request, await apiDeps());
