"use client";
import { usePathname } from "next/navigation";

const PAGES = [
  { href: "/overview", label: "Overview" },
  { href: "/providers", label: "Providers" },
  { href: "/logs", label: "Request logs" },
  { href: "/usage", label: "Usage" },
  { href: "/keys", label: "API keys" },
  { href: "/teams", label: "Teams" },
];

/** The dashboard's pages, the current one marked (for screen readers too: aria-current). */
export default function Nav() {
  const path = usePathname();
  return (
    <nav aria-label="dashboard" className="pages">
      {PAGES.map((p) => (
        <a key={p.href} href={p.href} aria-current={path === p.href || path.startsWith(`${p.href}/`) ? "page" : undefined}>
          {p.label}
        </a>
      ))}
    </nav>
  );
}
