import type { TransferInfo } from '../../../src-main/files/files-contract.js';
import { percent, progressText } from './files-text.js';

/** A transfer's progress bar, named by its card's heading and read out with the bytes and files done. */
export function TransferProgress({ t, labelledBy }: { t: TransferInfo; labelledBy: string }) {
  return (
    <div
      className="progress"
      role="progressbar"
      aria-labelledby={labelledBy}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={percent(t)}
      aria-valuetext={`${percent(t)}%, ${progressText(t)}`}
    >
      <div className="progress-fill" style={{ width: `${percent(t)}%` }} />
    </div>
  );
}
