module local/standin

go 1.22
