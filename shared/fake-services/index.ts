export { startFakeMastodon, type FakeMastodon, type FakeMastodonOptions, type ReceivedPost } from "./mastodon.js";
