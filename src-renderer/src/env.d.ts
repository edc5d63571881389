// Vite turns imported stylesheets into a <link rel="stylesheet"> (allowed by style-src 'self').
declare module '*.css';
