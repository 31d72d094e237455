"use client";
import { usePathname } from "next/navigation";

/** The dashboard's pages the user's role may open, the current one marked (for screen readers too: aria-current). */
export default function Nav({ pages }: { pages: Array<{ href: string; label: string }> }) {
  const path = usePathname();
  return (
    <nav aria-label="dashboard" className="pages">
      {pages.map((p) => (
        <a key={p.href} href={p.href} aria-current={path === p.href || path.startsWith(`${p.href}/`) ? "page" : undefined}>
          {p.label}
        </a>
      ))}
    </nav>
  );
}
