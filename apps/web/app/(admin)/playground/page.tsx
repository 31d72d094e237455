import PlaygroundView from "./view";

export const dynamic = "force-dynamic";
export const metadata = { title: "Playground" };

export default function PlaygroundPage() {
  return <PlaygroundView />;
}
