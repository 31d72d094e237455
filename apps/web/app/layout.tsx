import type { ReactNode } from "react";
import "./globals.css";

export const metadata = { title: { template: "%s · Interference", default: "Interference" }, description: "Self-hosted AI gateway" };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
