"""Staff log in and out; sessions end everywhere on logout."""
