export { startSpotifySimulator, endpointName, type SpotifySimulator, type SimulatorOptions, type SimulatorStats, type LoggedRequest } from "./server";
export { Catalogue, parseSearchQuery, type SimTrack, type SimAlbum, type SimArtist, type ListenableTrack, type Variant } from "./catalogue";
export { generateCatalogue, type CatalogueOptions } from "./generate-catalogue";
export { catalogueFromExtendedHistory, type ExtendedEntry } from "./from-history";
export type { Profile } from "./objects";
export type { FaultKind, FaultOptions } from "./faults";
export type { LimitOptions } from "./limits";
export type { SimUser, SimClient } from "./accounts";
