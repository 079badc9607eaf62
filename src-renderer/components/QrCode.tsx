import qrcode from 'qrcode-generator';
import { useMemo } from 'react';

/**
 * `text` as a QR code drawn in SVG (no canvas, no data: URL, nothing the CSP has to allow), on a white
 * quiet zone in both themes because phone cameras expect dark modules on light.
 */
export function QrCode({ text, label, size = 168 }: { text: string; label: string; size?: number }) {
  const { path, count } = useMemo(() => {
    const qr = qrcode(0, 'M');
    qr.addData(text);
    qr.make();
    const n = qr.getModuleCount();
    let d = '';
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) if (qr.isDark(r, c)) d += `M${c + 4} ${r + 4}h1v1h-1z`;
    }
    return { path: d, count: n + 8 };
  }, [text]);
  return (
    <svg
      className="qr"
      role="img"
      aria-label={label}
      width={size}
      height={size}
      viewBox={`0 0 ${count} ${count}`}
    >
      <rect width={count} height={count} fill="#fff" />
      <path d={path} fill="#000" shapeRendering="crispEdges" />
    </svg>
  );
}
