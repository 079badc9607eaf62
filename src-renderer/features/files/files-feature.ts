import type { Feature } from '../registry.js';
import { FILES_PERMISSIONS } from './files-permissions.js';
import { finished } from './files-store.js';
import { FilesView } from './FilesView.js';
import { SendFilesDialog } from './SendFilesDialog.js';
import { useFiles } from './use-files.js';

/** Files sent and received, and shares; a peer card sends files, and takes them dropped on it. */
export const filesFeature: Feature = {
  id: 'files',
  label: 'Files',
  place: 40,
  View: FilesView,
  useCount: () => ({
    count: useFiles((s) => s.transfers.filter((t) => !finished(t)).length),
    counted: 'in progress',
  }),
  permissions: FILES_PERMISSIONS,
  peerActions: [
    {
      order: 30,
      text: 'Send files…',
      name: (peer) => `Send files… to ${peer.name}`,
      Dialog: SendFilesDialog,
      takesDroppedFiles: true,
    },
  ],
};
