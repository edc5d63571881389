export function App() {
  return (
    <main>
      <h1>Homeserver Tray</h1>
    </main>
  );
}
