"""matcher: finds homes for refugees in the homes of volunteer hosts."""
