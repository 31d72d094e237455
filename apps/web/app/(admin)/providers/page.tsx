import ProvidersView from "./view";

export const dynamic = "force-dynamic";
export const metadata = { title: "Providers" };

export default function ProvidersPage() {
  return <ProvidersView />;
}
